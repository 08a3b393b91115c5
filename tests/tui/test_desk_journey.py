"""An agent's first minute: sign in, see the queue, open a ticket's account."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Static

from supportdesk.service.context import ServiceContext
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.branch_base import BranchScreen
from supportdesk.tui.screens.lock import LockScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.signin import SignInScreen
from tests.support import agent_code
from tests.tui.support import (
    FakeMonotonic,
    make_desk,
    settle,
    sign_in,
    type_sign_in,
    until,
    wait_for_screen,
)


async def test_sign_in_shows_the_queue_and_enter_opens_the_branch_over_the_account(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, ctx)
        assert app.agent_label.endswith("agent")
        table = app.screen.query_one("#queue", DataTable)
        assert table.row_count >= 12
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        first = queue.selected_ticket()
        assert first is not None
        await pilot.press("enter")  # the oldest ticket's branch, for its user
        await until(pilot, lambda: isinstance(app.screen, BranchScreen), "the ticket's branch")
        await settle(pilot)
        assert app.screen.ticket is not None and app.screen.ticket.id == first.id  # type: ignore[attr-defined]
        await pilot.press("escape")  # back to the user's account under it
        await wait_for_screen(pilot, AccountScreen)
        await pilot.pause()
        profile = str(app.screen.query_one("#profile-card", Static).render())
        assert first.user_name in profile
        assert first.id in str(app.screen.query_one("#ticket-card", Static).render())
        await pilot.press("escape")
        await wait_for_screen(pilot, QueueScreen)


async def test_wrong_code_is_refused_on_screen(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        good = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
        wrong = f"{(int(good) + 1) % 1_000_000:06d}"
        await type_sign_in(pilot, "demo", wrong, "demo-agent")
        await settle(pilot)
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        message = str(app.screen.query_one("#signin-message", Static).render())
        assert "Wrong username, password or code" in message


async def test_short_code_is_caught_before_it_costs_an_attempt(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_sign_in(pilot, "demo", "1234", "demo-agent")
        await pilot.pause()
        message = str(app.screen.query_one("#signin-message", Static).render())
        assert "6 digits" in message


async def test_idle_desk_locks_and_unlocks_with_password_and_code(ctx: ServiceContext) -> None:
    clock = FakeMonotonic()
    app = make_desk(ctx, idle_minutes=5, monotonic=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        clock.value += 4 * 60
        app.lock_if_idle()
        assert isinstance(app.screen, QueueScreen)
        clock.value += 61
        app.lock_if_idle()
        await wait_for_screen(pilot, LockScreen)
        await settle(pilot)
        assert app.backend is not None and not app.backend.signed_in
        ctx.clock.advance(timedelta(seconds=30))
        code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
        await type_sign_in(pilot, "demo", code, None)
        await wait_for_screen(pilot, QueueScreen)


async def test_expired_session_returns_to_sign_in_with_a_message(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        ctx.clock.advance(timedelta(seconds=ctx.settings.token_idle_s + 5))
        await pilot.press("r")
        await wait_for_screen(pilot, SignInScreen)
        message = str(app.screen.query_one("#signin-message", Static).render())
        assert "expired" in message
