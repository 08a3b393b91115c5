"""Build the real desk around the real service (in-process) for pilot tests."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from supportdesk.api.client import SupportDeskClient
from supportdesk.config import DeskSettings
from supportdesk.embedded import client_for
from supportdesk.service.clock import Clock
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.store.engine import sqlite_url
from supportdesk.tui.app import SupportDeskApp
from tests.support import FROZEN_NOW, agent_code, fast_settings


class FakeMonotonic:
    """Idle time under the test's control: no sleeping."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def make_desk(
    ctx: ServiceContext, *, idle_minutes: float = 5, monotonic: FakeMonotonic | None = None
) -> SupportDeskApp:
    async def connect() -> SupportDeskClient:
        return client_for(ctx)

    settings = DeskSettings(idle_lock_minutes=idle_minutes, display_timezone="UTC")
    return SupportDeskApp(
        connect,
        settings,
        backend_label="embedded demo",
        monotonic=monotonic or FakeMonotonic(),
        now=ctx.clock.now,
    )


class SnapshotDesk:
    """A desk for SVG snapshots: snap_compare runs its own event loop, so the service
    context is opened inside the app (in the connect worker), never in the test's loop."""

    def __init__(self, demo_db: Path) -> None:
        self.demo_db = demo_db
        self.ctx: ServiceContext | None = None
        self.app = SupportDeskApp(
            self._connect,
            DeskSettings(idle_lock_minutes=5, display_timezone="UTC"),
            backend_label="embedded demo",
            monotonic=FakeMonotonic(),
            now=lambda: FROZEN_NOW,
        )

    async def _connect(self) -> SupportDeskClient:
        self.ctx = await open_context(
            fast_settings(sqlite_url(self.demo_db)), clock=Clock(FROZEN_NOW)
        )
        return client_for(self.ctx)

    async def settle(self, pilot: Pilot[int]) -> None:
        for _ in range(5):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    async def sign_in(self, pilot: Pilot[int], username: str = "demo-agent") -> None:
        """Type the credentials as an agent would, then wait for the queue."""
        await self.settle(pilot)
        assert self.ctx is not None
        code = await agent_code(self.ctx.engine, username, self.ctx.clock.now())
        screen = pilot.app.screen
        screen.query_one("#username", Input).value = username
        screen.query_one("#password", Input).value = "demo"
        screen.query_one("#code", Input).value = code
        screen.query_one("#code", Input).focus()
        await pilot.press("enter")
        await self.settle(pilot)
