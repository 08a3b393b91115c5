"""Everything the desk's tests share: the real desk around the real service, waiting for what
a user would see against a deadline, keystroke counting, and reading the store directly.

The one module tui tests import helpers from (never from another test file). Waiting is
always for a state (a screen, its content, the desk idle) with a deadline, never a count
of pauses and never `workers.wait_for_complete()`: a cancelled exclusive worker is normal
and simply counts as done.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from textual.css.query import NoMatches, WrongType
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import WorkerState

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.models import EndUserSignInResult
from supportdesk.config import DeskSettings
from supportdesk.embedded import client_for
from supportdesk.service.clock import Clock
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.store.engine import sqlite_url
from supportdesk.service.store.schema import (
    message_outbox,
)
from supportdesk.tui.app import SupportDeskApp
from tests.service.support import (  # one copy of the service-side helpers
    audit_rows as audit_rows,
)
from tests.service.support import (
    email_verification as email_verification,
)
from tests.service.support import (
    factor_code as factor_code,
)
from tests.service.support import (
    latest_message_code as latest_message_code,
)
from tests.service.support import (
    newest_approval_id as newest_approval_id,
)
from tests.service.support import (
    user_email as user_email,
)
from tests.support import FROZEN_NOW, agent_code, fast_settings, sign_in_as

DEADLINE_S = float(os.environ.get("SUPPORTDESK_TEST_DEADLINE_S", "60"))
"""How long a test waits for a state before it fails: generous, as a loaded CI machine is
slow, and it costs nothing when the state comes at once."""
USER_PASSWORD = "demo"
TYLER_EMAIL = "tyler.brooks@redmesafreight.example"
TYLER_PHONE = "+15055550162"

ScreenT = TypeVar("ScreenT", bound=Screen[Any])


# -- the desk ----------------------------------------------------------------------------


class FakeMonotonic:
    """Idle time under the test's control: no sleeping."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def desk_settings(**values: Any) -> DeskSettings:
    return DeskSettings(**{"idle_lock_minutes": 5, "display_timezone": "UTC", **values})


def make_desk(
    ctx: ServiceContext,
    *,
    idle_minutes: float = 5,
    monotonic: FakeMonotonic | None = None,
    settings: DeskSettings | None = None,
) -> SupportDeskApp:
    async def connect(_settings: DeskSettings) -> SupportDeskClient:
        return client_for(ctx)

    return SupportDeskApp(
        connect,
        settings or desk_settings(idle_lock_minutes=idle_minutes),
        backend_label="embedded demo",
        monotonic=monotonic or FakeMonotonic(),
        now=ctx.clock.now,
    )


class SnapshotDesk:
    """A desk for SVG snapshots: snap_compare runs its own event loop, so the service
    context is opened inside the app (in the connect worker), never in the test's loop,
    and closed with the app's back end."""

    def __init__(self, demo_db: Path) -> None:
        self.demo_db = demo_db
        self.ctx: ServiceContext | None = None
        self.app = SupportDeskApp(
            self._connect,
            desk_settings(),
            backend_label="embedded demo",
            monotonic=FakeMonotonic(),
            now=lambda: FROZEN_NOW,
        )

    async def _connect(self, _settings: DeskSettings) -> SupportDeskClient:
        ctx = await open_context(fast_settings(sqlite_url(self.demo_db)), clock=Clock(FROZEN_NOW))
        self.ctx = ctx
        client = client_for(ctx)
        close = client.aclose

        async def aclose() -> None:
            await close()
            await ctx.engine.dispose()

        client.aclose = aclose  # type: ignore[method-assign]
        return client

    async def settle(self, pilot: Pilot[int]) -> None:
        """Until the desk is idle and nothing moves: what the snapshot will show."""
        await settle(pilot)
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)

    async def at_sign_in(self, pilot: Pilot[int]) -> None:
        """Until the sign-in screen shows the desk connected, then settled.

        The desk connects after its first frame, so at first no worker runs and an idle
        desk may still say "connecting": wait for what the connected screen shows (the
        status and the demo hint), not only for idleness.
        """
        app = pilot.app
        await until(
            pilot,
            lambda: app.connection == "connected" and app.screen.query_one("#demo-hint").display,
            "the sign-in screen to show the desk connected",
        )
        await self.settle(pilot)

    async def sign_in(self, pilot: Pilot[int], username: str = "demo-agent") -> None:
        """Type the credentials as an agent would, then wait for the queue."""
        from supportdesk.tui.screens.queue import QueueScreen

        await until(pilot, lambda: pilot.app.connection == "connected", "the back end")
        assert self.ctx is not None
        code = await agent_code(self.ctx.engine, username, self.ctx.clock.now())
        await type_sign_in(pilot, "demo", code, username)
        await wait_for_screen(pilot, QueueScreen)
        await self.settle(pilot)


# -- waiting for what a user would see ------------------------------------------------------


def desk_idle(app: SupportDeskApp) -> bool:
    """No request in flight: every worker the desk started has finished (polled, never
    awaited, so a cancelled one is finished too)."""
    busy = (WorkerState.PENDING, WorkerState.RUNNING)
    return not any(worker.state in busy for worker in app.workers)


async def until(
    pilot: Pilot[Any], condition: Callable[[], object], what: str, timeout: float = DEADLINE_S
) -> None:
    """Let the desk run until `condition()` holds; fail naming `what` after the deadline.

    A query that finds nothing yet (the screen is still changing) counts as not yet.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except (NoMatches, WrongType, AttributeError, IndexError, KeyError):
            pass
        if time.monotonic() > deadline:
            screen = type(pilot.app.screen).__name__
            raise AssertionError(f"waited {timeout:.0f} s for {what}; the desk shows {screen}")
        await pilot.pause(0.01)


async def settle(pilot: Pilot[Any], timeout: float = DEADLINE_S) -> None:
    """Until the desk is idle twice running (a worker a handler just started counts)."""
    app = pilot.app
    assert isinstance(app, SupportDeskApp)
    await pilot.pause()
    await until(pilot, lambda: desk_idle(app), "the desk to finish its requests", timeout)
    await pilot.pause()
    await until(pilot, lambda: desk_idle(app), "the desk to finish its requests", timeout)


async def wait_for_screen(
    pilot: Pilot[Any], kind: type[ScreenT], timeout: float = DEADLINE_S
) -> ScreenT:
    """Until `kind` is on top and has shown what it loads (the desk is idle)."""
    await until(pilot, lambda: isinstance(pilot.app.screen, kind), kind.__name__, timeout)
    await settle(pilot, timeout)
    screen = pilot.app.screen
    if not isinstance(screen, kind):
        raise AssertionError(f"{kind.__name__} gave way to {type(screen).__name__}")
    return screen


async def wait_for_text(
    pilot: Pilot[Any], selector: str, wanted: str, timeout: float = DEADLINE_S
) -> str:
    """Until the widget at `selector` on the top screen says `wanted`; what it says."""
    await until(
        pilot,
        lambda: wanted in text(pilot.app.screen, selector),
        f"{selector} to say {wanted!r}",
        timeout,
    )
    return text(pilot.app.screen, selector)


def text(node: Any, selector: str) -> str:
    """What a Static on a screen (or the app's top screen) shows, as plain text."""
    screen = node.screen if isinstance(node, SupportDeskApp) else node
    return str(screen.query_one(selector, Static).render())


# -- signing in ----------------------------------------------------------------------------


async def type_sign_in(pilot: Pilot[Any], password: str, code: str, username: str | None) -> None:
    screen = pilot.app.screen
    if username is not None:
        screen.query_one("#username", Input).value = username
    screen.query_one("#password", Input).value = password
    screen.query_one("#code", Input).focus()
    await pilot.press(*code, "enter")


async def sign_in(pilot: Pilot[Any], ctx: ServiceContext, username: str = "demo-agent") -> None:
    from supportdesk.tui.screens.queue import QueueScreen

    code = await agent_code(ctx.engine, username, ctx.clock.now())
    await type_sign_in(pilot, "demo", code, username)
    await wait_for_screen(pilot, QueueScreen)


# -- counting keystrokes ---------------------------------------------------------------------


class Keys:
    """Presses keys and counts them; what the agent types as data is not counted."""

    def __init__(self, pilot: Pilot[Any]) -> None:
        self.pilot = pilot
        self.count = 0
        self.log: list[str] = []

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        self.log.extend(keys)
        await self.pilot.press(*keys)

    async def type(self, data: str) -> None:
        """Typed data (a code, a note): keys the agent cannot avoid, not counted."""
        await self.pilot.press(*data)


# -- what the user received and what the store holds ---------------------------------------------


async def last_text_code(ctx: ServiceContext, e164: str) -> str:
    """The code in the latest text to this number, read as the user's phone would."""
    async with ctx.engine.connect() as conn:
        texts = list(
            (
                await conn.execute(
                    select(message_outbox.c.body)
                    .where(message_outbox.c.channel == "sms")
                    .where(message_outbox.c.recipient == e164)
                    .order_by(message_outbox.c.id)
                )
            ).scalars()
        )
    assert texts, f"nothing was texted to {e164}"
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found is not None
    return found.group(1)


async def enduser_sign_in(ctx: ServiceContext, user_id: str) -> EndUserSignInResult:
    """The user types e-mail and password in the customer's app (on a client of their own)."""
    async with client_for(ctx) as client:
        return await client.enduser_sign_in(await user_email(ctx, user_id), USER_PASSWORD)


async def second_client(ctx: ServiceContext, username: str) -> SupportDeskClient:
    """Another desk on the same service, signed in as `username`."""
    other = client_for(ctx)
    await sign_in_as(other, ctx, username)
    return other


# -- the service over real HTTP ---------------------------------------------------------------


class Served:
    """The service under uvicorn on a loopback port, in the test's event loop."""

    def __init__(self, ctx: ServiceContext) -> None:
        import socket

        import uvicorn

        from supportdesk.service.http.app import build_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(build_app(ctx), host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        deadline = time.monotonic() + DEADLINE_S
        while not self.server.started:
            if self.task.done() or time.monotonic() > deadline:
                raise AssertionError("uvicorn did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop listening (a service that went away); safe to call twice."""
        if self.task is not None:
            self.server.should_exit = True
            await self.task
            self.task = None


@asynccontextmanager
async def served_on_loopback(ctx: ServiceContext) -> AsyncIterator[Served]:
    """The service for `ctx` under uvicorn on a free loopback port, in this event loop
    (so the test's frozen clock and store are the service's)."""
    served = Served(ctx)
    await served.start()
    try:
        yield served
    finally:
        await served.stop()


def remote_desk(ctx: ServiceContext, url: str) -> SupportDeskApp:
    """The desk as `supportdesk --api URL` builds it, with the test's clock."""
    from supportdesk.cli import connect_backend

    return SupportDeskApp(
        connect_backend,
        desk_settings(api_url=url, request_timeout_s=3),
        backend_label=url,
        monotonic=FakeMonotonic(),
        now=ctx.clock.now,
    )


def held_token(app: SupportDeskApp) -> str | None:
    """The session token the desk's client holds (tests look; screens never do)."""
    backend = app.backend
    assert isinstance(backend, SupportDeskClient)
    return backend.token


class Notices:
    """Every toast the desk shows, as (title, message), recorded as it is shown."""

    def __init__(self, app: SupportDeskApp) -> None:
        self.shown: list[tuple[str, str]] = []
        notify = app.notify

        def record(message: str, **kwargs: Any) -> None:
            self.shown.append((str(kwargs.get("title", "")), str(message)))
            notify(message, **kwargs)

        app.notify = record  # type: ignore[method-assign]

    @property
    def messages(self) -> list[str]:
        return [message for _title, message in self.shown]


# -- a back end that lacks features ------------------------------------------------------------

LACKING = {
    "sms": "this provider keeps no phone numbers",
    "sms_resend": "this provider keeps no phone numbers",
    "sms_delivery_receipts": "this provider keeps no phone numbers",
    "reset_mfa": "resets are done in the provider's own console",
    "access_code": "the provider issues no one-time codes",
    "audit_export": "exports are switched off on this deployment",
}
"""What the stand-in back end lacks, and why (as its /v1/capabilities says)."""


def capabilities_without(ctx: ServiceContext, lacking: dict[str, str]) -> bytes:
    """The real service's capabilities minus `lacking`, each with its reason, as JSON."""
    from supportdesk import __version__
    from supportdesk.api import features
    from supportdesk.api.models import Capabilities, FeatureGap

    answer = Capabilities(
        backend="supportdesk reference auth service (features withheld for a test)",
        version=__version__,
        demo_mode=ctx.settings.demo_mode,
        features=[f for f in features.ALL if f not in lacking],
        provider="test-without-sms",
        unavailable=[FeatureGap(feature=f, reason=why) for f, why in lacking.items()],
    )
    return answer.model_dump_json().encode()


def lacking_backend(ctx: ServiceContext, lacking: dict[str, str] = LACKING) -> SupportDeskClient:
    """The real ASGI app whose capabilities route answers with features withheld: for the
    desk's own features (exports), which no provider takes away. A provider that lacks
    something is tests/providers/dict_provider.py's `dict_context(lacking=...)`."""
    import httpx

    from supportdesk.service.http.app import build_app

    inner = build_app(ctx)
    body = capabilities_without(ctx, lacking)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/v1/capabilities":
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await inner(scope, receive, send)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return SupportDeskClient("http://lacking.supportdesk", transport=transport, label="lacking")
