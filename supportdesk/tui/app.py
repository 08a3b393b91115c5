"""The desk: one Textual app; screens per step; the API client behind workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from supportdesk.api.errors import ApiError
from supportdesk.config import DeskSettings
from supportdesk.tui.commands import DeskCommands
from supportdesk.tui.screens.lock import LockScreen
from supportdesk.tui.screens.signin import SignInScreen
from supportdesk.tui.screens.unreachable import UnreachableScreen
from supportdesk.tui.styles import stylesheet

if TYPE_CHECKING:
    from supportdesk.api.client import SupportDeskClient
    from supportdesk.api.models import AgentSession, Capabilities

Connector = Callable[[], Awaitable["SupportDeskClient"]]
"""Builds the client in a worker: the embedded service loads after the first frame."""


class SupportDeskApp(App[int]):
    TITLE = "supportdesk"
    CSS_PATH = stylesheet("desk")
    COMMANDS = App.COMMANDS | {DeskCommands}
    BINDINGS = [
        Binding("ctrl+l", "lock", "Lock", id="lock"),
        Binding("ctrl+o", "sign_out", "Sign out", id="sign_out"),
        Binding("ctrl+q", "quit", "Quit", id="quit"),
    ]

    connection: reactive[str] = reactive("connecting")
    agent_label: reactive[str] = reactive("")
    backend_label: reactive[str] = reactive("")
    demo_mode: reactive[bool] = reactive(False)

    def __init__(
        self,
        connect: Connector,
        settings: DeskSettings,
        *,
        backend_label: str = "",
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self._connect = connect
        self.settings = settings
        self._monotonic = monotonic
        self._now = now or (lambda: datetime.now(UTC))
        self.client: SupportDeskClient | None = None
        self.capabilities: Capabilities | None = None
        self.session: AgentSession | None = None
        self._connected = asyncio.Event()
        self._last_activity = monotonic()
        self.set_reactive(SupportDeskApp.backend_label, backend_label)
        self.display_zone: tzinfo | None = (
            ZoneInfo(settings.display_timezone) if settings.display_timezone else None
        )

    # -- start-up -----------------------------------------------------------

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self.push_screen(SignInScreen())
        # The back end (maybe the whole embedded service) loads after the first frame.
        self.call_after_refresh(self.connect_backend)
        self.set_interval(1.0, self.lock_if_idle)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect_backend(self) -> None:
        """Build the client (starting the embedded service if that is the back end)."""
        self.connection = "connecting"
        try:
            if self.client is None:
                self.client = await self._connect()
                self.backend_label = self.client.label
            self.capabilities = await self.client.capabilities()
        except ApiError as exc:
            self.show_unreachable(exc.message)
            return
        except Exception as exc:  # the embedded service failed to start: say so plainly
            self.show_unreachable(f"the auth service could not start: {exc}")
            return
        self.demo_mode = self.capabilities.demo_mode
        self.mark_connected()

    def mark_connected(self) -> None:
        self.connection = "connected"
        self._connected.set()

    async def ready_client(self) -> SupportDeskClient:
        """The client, once the back end answers (sign-in may be typed before that)."""
        await self._connected.wait()
        assert self.client is not None
        return self.client

    def now(self) -> datetime:
        return self._now()

    # -- session ----------------------------------------------------------------

    def signed_in(self, session: AgentSession) -> None:
        self.session = session
        self.agent_label = f"{session.agent.display_name} · {session.agent.role}"
        self.refresh_bindings()
        self.note_activity()
        if isinstance(self.screen, LockScreen):
            self.pop_screen()
        else:
            # Imported on first use: the queue's table is not needed for the first frame.
            from supportdesk.tui.screens.queue import QueueScreen

            self.switch_screen(QueueScreen())

    async def back_to_sign_in(self, message: str) -> None:
        """Drop every screen of the old session and ask for credentials again."""
        self.session = None
        self.agent_label = ""
        self.refresh_bindings()
        if self.client is not None:
            self.client.token = None
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(SignInScreen(message=message))

    def session_expired(self, message: str = "Your session has expired: sign in again.") -> None:
        self.call_later(self.back_to_sign_in, message)

    def show_unreachable(self, message: str) -> None:
        self.connection = "unreachable"
        self._connected.clear()
        if not isinstance(self.screen, UnreachableScreen):
            self.push_screen(UnreachableScreen(message))

    def report(self, exc: ApiError) -> None:
        """The one place API failures become what the agent sees."""
        from supportdesk.api.errors import ServiceUnavailable, Unauthorised

        if isinstance(exc, Unauthorised):
            self.session_expired()
        elif isinstance(exc, ServiceUnavailable):
            self.show_unreachable(exc.message)
        else:
            self.notify(exc.message, title="Refused", severity="error", timeout=8)

    # -- idle lock ------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown):
            self.note_activity()
        await super().on_event(event)

    def note_activity(self) -> None:
        self._last_activity = self._monotonic()

    def lock_if_idle(self) -> None:
        idle_s = self.settings.idle_lock_minutes * 60
        if self.session is not None and self._monotonic() - self._last_activity >= idle_s:
            self.action_lock()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Lock and sign-out only mean something while an agent is signed in."""
        if action in ("lock", "sign_out"):
            return self.session is not None
        return True

    def action_lock(self) -> None:
        if self.session is None or isinstance(self.screen, LockScreen):
            return
        self.push_screen(LockScreen(self.session.agent.username))
        self._end_server_session()

    @work(group="session", exit_on_error=False)
    async def _end_server_session(self) -> None:
        """A locked desk holds no live token: unlocking signs in afresh."""
        if self.client is not None:
            try:
                await self.client.sign_out()
            except ApiError:
                self.client.token = None

    async def action_sign_out(self) -> None:
        if self.session is None:
            return
        self._end_server_session()
        await self.back_to_sign_in("Signed out.")

    # -- safety net ---------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """No traceback reaches the screen: an unexpected failure becomes a notice."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error: Any = event.worker.error
            if isinstance(error, ApiError):
                self.report(error)
            else:
                self.notify(f"Something went wrong: {error}", title="Unexpected", severity="error")
