"""An agent opens T-1054 and reads why the user was asked for a code, then resolves it."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select, Static

from supportdesk.service.context import ServiceContext
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.screens.why_prompted import WhyPromptedScreen
from tests.tui.support import (
    make_desk,
    settle,
    sign_in,
    wait_for_screen,
)


async def test_why_prompted_from_the_queue_to_resolved(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        queue.open_ticket_id("T-1054")
        await wait_for_screen(pilot, AccountScreen)
        await settle(pilot)
        await pilot.press("w")
        await wait_for_screen(pilot, WhyPromptedScreen)
        await settle(pilot)
        await pilot.pause()
        answer = str(app.screen.query_one("#why-answer", Static).render())
        assert "Lagos" in answer
        assert "Impossible travel" in answer or "impossible travel" in answer
        assert app.screen.query_one("#why-signins", DataTable).row_count >= 2
        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        assert app.screen.query_one("#outcome", Select).value == "explained"
        app.screen.query_one("#note", Input).value = "Sign-in from Lagos was not him; told him."
        await pilot.press("enter")
        await wait_for_screen(pilot, QueueScreen)
        await settle(pilot)
        await pilot.pause()
        assert "T-1054" not in app.screen.tickets  # type: ignore[attr-defined]
