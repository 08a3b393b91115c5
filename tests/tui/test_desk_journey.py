"""An agent's first minute: sign in, see the queue, open a ticket's account."""

from __future__ import annotations

import time
from datetime import timedelta

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from supportdesk.service.context import ServiceContext
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.lock import LockScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.signin import SignInScreen
from tests.support import agent_code
from tests.tui.desk_harness import FakeMonotonic, make_desk


async def type_sign_in(pilot: Pilot[int], password: str, code: str, username: str | None) -> None:
    screen = pilot.app.screen
    if username is not None:
        screen.query_one("#username", Input).value = username
    screen.query_one("#password", Input).value = password
    screen.query_one("#code", Input).focus()
    await pilot.press(*code, "enter")


async def wait_for_screen(pilot: Pilot[int], kind: type, timeout: float = 30.0) -> None:
    """Let the app work until `kind` is on top; a deadline, not a count, so a busy CI
    machine gets the same chance as an idle one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause()
        if isinstance(pilot.app.screen, kind):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            return
        await pilot.app.workers.wait_for_complete()
    raise AssertionError(f"still on {type(pilot.app.screen).__name__}, wanted {kind.__name__}")


async def sign_in(pilot: Pilot[int], ctx: ServiceContext, username: str = "demo-agent") -> None:
    code = await agent_code(ctx.engine, username, ctx.clock.now())
    await type_sign_in(pilot, "demo", code, username)
    await wait_for_screen(pilot, QueueScreen)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_sign_in_shows_the_queue_and_enter_opens_the_account(ctx: ServiceContext) -> None:
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
        await pilot.press("enter")
        await wait_for_screen(pilot, AccountScreen)
        await app.workers.wait_for_complete()
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
        await app.workers.wait_for_complete()
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
        await app.workers.wait_for_complete()
        assert app.client is not None and app.client.token is None
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
