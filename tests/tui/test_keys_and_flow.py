"""Keys and flow as agents and leads expect them: Home/End, the next ticket after one is
resolved, Enter on a single match, the cooldown said, no lead keys in an agent's footer,
the ? panel on every screen, and what the queue marks."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import HelpPanel, Input

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.models import Ticket
from supportdesk.embedded import client_for
from supportdesk.service.context import ServiceContext
from supportdesk.tui.app import SupportDeskApp
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.approvals import ApprovalsScreen
from supportdesk.tui.screens.audit_log import AuditLogScreen
from supportdesk.tui.screens.authenticator import AuthenticatorScreen
from supportdesk.tui.screens.find_user import FindUserScreen
from supportdesk.tui.screens.lock import LockScreen
from supportdesk.tui.screens.lost_device import LostDeviceScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.screens.signin import SignInScreen
from supportdesk.tui.screens.sms import SmsScreen
from supportdesk.tui.screens.why_prompted import WhyPromptedScreen
from supportdesk.tui.widgets.fit_table import FitTable
from tests.tui.support import (
    FakeMonotonic,
    desk_settings,
    make_desk,
    sign_in,
    text,
    until,
    wait_for_screen,
    wait_for_text,
)


def queue_table(app: SupportDeskApp) -> FitTable:
    return app.screen.query_one("#queue", FitTable)


def footer_keys(app: SupportDeskApp) -> dict[str, str]:
    """Key to action, for the bindings the footer and the ? panel show now."""
    return {
        key: active.binding.action
        for key, active in app.screen.active_bindings.items()
        if active.binding.show
    }


async def test_home_and_end_jump_through_the_queue(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        table = queue_table(app)
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        assert table.cursor_row == 0


async def test_after_resolving_the_cursor_is_on_the_next_ticket(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        table = queue_table(app)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        ids = list(queue.tickets)
        row = ids.index("T-1054")
        table.move_cursor(row=row)
        await pilot.press("enter")
        await wait_for_screen(pilot, WhyPromptedScreen)
        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        app.screen.query_one("#note", Input).value = "Explained"
        await pilot.press("enter")
        await wait_for_screen(pilot, QueueScreen)
        await until(pilot, lambda: "T-1054" not in queue.tickets, "T-1054 to leave the queue")
        assert table.cursor_row == row
        assert queue.selected_ticket() is not None
        assert queue.selected_ticket().id == ids[row + 1]  # type: ignore[union-attr]


async def test_enter_in_find_user_opens_a_single_match(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await pilot.press("f")
        await wait_for_screen(pilot, FindUserScreen)
        await pilot.press(*"Tyler Brooks", "enter")
        account = await wait_for_screen(pilot, AccountScreen)
        assert account.user_id == "u1001" or "Tyler Brooks" in text(app, "#profile-card")


async def test_r_during_the_cooldown_says_how_long_is_left(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        queue.open_ticket_id("T-1042")
        await wait_for_screen(pilot, AccountScreen)
        await pilot.press("s")
        screen = await wait_for_screen(pilot, SmsScreen)
        await pilot.press("r")
        await wait_for_text(pilot, "#sms-message", "A new code went to")
        assert screen.check_action("resend", ()) is None  # dimmed in the footer
        await pilot.press("r")
        said = await wait_for_text(pilot, "#sms-message", "next code in")
        assert "30 s" in said


async def test_an_agent_sees_no_lead_keys(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx, "demo-agent")
        assert "audit_log" not in footer_keys(app).values()
        await pilot.press("p")
        await wait_for_screen(pilot, ApprovalsScreen)
        assert "approve" not in footer_keys(app).values()
        assert "deny" in footer_keys(app).values()  # an agent withdraws their own


async def test_a_lead_sees_the_lead_keys(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx, "demo-lead")
        assert "audit_log" in footer_keys(app).values()
        await pilot.press("p")
        await wait_for_screen(pilot, ApprovalsScreen)
        assert "approve" in footer_keys(app).values()


async def show_keys(pilot: Pilot[int]) -> None:
    """? where no field has the keyboard, F1 where one does (? would be typed there)."""
    key = "f1" if isinstance(pilot.app.focused, Input) else "question_mark"
    await pilot.press(key)
    await until(pilot, lambda: pilot.app.screen.query(HelpPanel), "the keys panel")


async def test_every_screen_shows_its_keys_on_question_mark(ctx: ServiceContext) -> None:
    app = make_desk(ctx, monotonic=FakeMonotonic())
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.connection == "connected", "the back end")
        await show_keys(pilot)  # the sign-in screen
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, ctx, "demo-lead")
        seen: list[str] = []
        for opener, kind in (
            (None, QueueScreen),
            ("T-1042:s", SmsScreen),
            ("T-1047:a", AuthenticatorScreen),
            ("T-1049:l", LostDeviceScreen),
            ("T-1054:w", WhyPromptedScreen),
        ):
            if opener is not None:
                ticket, key = opener.split(":")
                await pilot.press("escape", "escape")
                queue = await wait_for_screen(pilot, QueueScreen)
                queue.open_ticket_id(ticket)
                await wait_for_screen(pilot, AccountScreen)
                await show_keys(pilot)
                seen.append("AccountScreen")
                await pilot.press(key)
            await wait_for_screen(pilot, kind)
            await show_keys(pilot)
            seen.append(kind.__name__)
        await pilot.press("escape", "escape")
        await wait_for_screen(pilot, QueueScreen)
        for key, kind in (("p", ApprovalsScreen), ("A", AuditLogScreen)):
            await pilot.press(key)
            await wait_for_screen(pilot, kind)
            await show_keys(pilot)
            seen.append(kind.__name__)
            app.screen.set_focus(None)
            await pilot.press("escape")
            await wait_for_screen(pilot, QueueScreen)
        await pilot.press("ctrl+l")
        await wait_for_screen(pilot, LockScreen)
        await show_keys(pilot)
        seen.append("LockScreen")
    assert seen == [
        "QueueScreen",
        *("AccountScreen", "SmsScreen", "AccountScreen", "AuthenticatorScreen"),
        *("AccountScreen", "LostDeviceScreen", "AccountScreen", "WhyPromptedScreen"),
        *("ApprovalsScreen", "AuditLogScreen", "LockScreen"),
    ]


class AwaitingLeadClient(SupportDeskClient):
    """The service's answer with one ticket whose request waits for a lead."""

    async def list_tickets(self, status: str = "open", user_id: str | None = None) -> list[Ticket]:
        found = await super().list_tickets(status, user_id)
        return [t.model_copy(update={"awaiting_lead": t.id == "T-1052"}) for t in found]


async def test_the_queue_marks_a_ticket_waiting_for_a_lead(ctx: ServiceContext) -> None:
    async def connect(_settings: Any) -> SupportDeskClient:
        client = client_for(ctx)
        client.__class__ = AwaitingLeadClient
        return client

    app = SupportDeskApp(connect, desk_settings(), monotonic=FakeMonotonic(), now=ctx.clock.now)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        table = queue_table(app)
        row = table.get_row("T-1052")
        assert str(row[-1]).startswith("⚑ ")
        others = [str(table.get_row(k)[-1]) for k in queue.tickets if k != "T-1052"]
        assert not any(o.startswith("⚑") for o in others)
        assert "⚑ 1 waiting for a lead" in text(app, "#queue-title")
