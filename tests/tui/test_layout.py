"""What fits where: T-1054's reading in the first lines at 80×24, every column without a
horizontal scrollbar, and tables that refit when the terminal is resized."""

from __future__ import annotations

from textual.pilot import Pilot

from supportdesk.service.context import ServiceContext
from supportdesk.tui.app import SupportDeskApp
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.why_prompted import WhyPromptedScreen
from supportdesk.tui.widgets.fit_table import FitTable
from tests.tui.support import make_desk, settle, sign_in, text, until, wait_for_screen


def fits(table: FitTable) -> bool:
    """Every column on screen: no horizontal scrolling, no horizontal scrollbar."""
    used = sum(column.get_render_width(table) for column in table.columns.values())
    return (
        table.max_scroll_x == 0
        and not table.show_horizontal_scrollbar
        and (used <= table.scrollable_content_region.width)
    )


async def open_why(pilot: Pilot[int], ctx: ServiceContext) -> WhyPromptedScreen:
    await sign_in(pilot, ctx)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    queue.open_ticket_id("T-1054")
    await wait_for_screen(pilot, AccountScreen)
    await pilot.press("w")
    return await wait_for_screen(pilot, WhyPromptedScreen)


async def test_t1054_leads_with_the_compromised_password_at_80x24(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_why(pilot, ctx)
        answer = screen.query_one("#why-answer")
        lines = text(screen, "#why-answer").splitlines()
        assert lines[0] == "⚠ Someone else probably has Kevin's password"
        assert answer.region.y <= 3  # under the header and the strip: the first lines
        said = " ".join(lines)
        assert "Lagos, NG" in said and "failed the code" in said
        assert "change the Alvys password now" in said  # what to tell him
        assert "y copies the reply" in said  # what the desk can do
        assert "Whoever it was knew your password" in screen.reply
        table = screen.query_one("#why-signins", FitTable)
        assert fits(table)
        lagos = next(i for i in range(table.row_count) if "Lagos" in str(table.get_row_at(i)[2]))
        assert [str(c) for c in table.get_row_at(lagos)][3:] == ["device, place, travel", "failed"]


async def resize(pilot: Pilot[int], width: int, height: int) -> None:
    await pilot.resize_terminal(width, height)
    await until(pilot, lambda: pilot.app.size == (width, height), "the new size")
    await settle(pilot)


async def test_tables_refit_from_120x40_to_80x24_without_a_horizontal_scrollbar(
    ctx: ServiceContext,
) -> None:
    app: SupportDeskApp = make_desk(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, ctx)
        queue = app.screen.query_one("#queue", FitTable)
        wide = {c.key.value: c.width for c in queue.columns.values()}
        assert fits(queue)
        await resize(pilot, 80, 24)
        narrow = {c.key.value: c.width for c in queue.columns.values()}
        assert fits(queue) and narrow["subject"] < wide["subject"]
        await resize(pilot, 120, 40)
        assert fits(queue) and {c.key.value: c.width for c in queue.columns.values()} == wide
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        screen.open_ticket_id("T-1052")
        account = await wait_for_screen(pilot, AccountScreen)
        await resize(pilot, 80, 24)
        for table_id in ("#factors", "#signins", "#user-tickets"):
            assert fits(account.query_one(table_id, FitTable)), table_id
