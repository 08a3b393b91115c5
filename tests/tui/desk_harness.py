"""Build the real desk around the real service (in-process) for pilot tests."""

from __future__ import annotations

from supportdesk.api.client import SupportDeskClient
from supportdesk.config import DeskSettings
from supportdesk.embedded import client_for
from supportdesk.service.context import ServiceContext
from supportdesk.tui.app import SupportDeskApp


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
