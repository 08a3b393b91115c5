"""What the agent sees when things go wrong: an unreachable API, a refused search."""

from __future__ import annotations

import socket

from textual.command import CommandPalette
from textual.widgets import OptionList, Static

from supportdesk.cli import build_desk
from supportdesk.config import DeskSettings
from supportdesk.service.context import ServiceContext
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.lock import LockScreen
from supportdesk.tui.screens.unreachable import UnreachableScreen
from tests.tui.support import (
    desk_settings,
    make_desk,
    settle,
    sign_in,
    wait_for_screen,
)


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_api_shows_a_clear_screen_and_retry() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    app = build_desk(DeskSettings(api_url=url, request_timeout_s=2))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, UnreachableScreen)
        message = str(app.screen.query_one("#unreachable-message", Static).render())
        assert "Cannot reach the auth service" in message
        assert url in message
        assert app.connection == "unreachable"
        await pilot.press("r")
        await settle(pilot)
        await wait_for_screen(pilot, UnreachableScreen)
        assert app.connection == "unreachable"


async def test_command_palette_opens_a_ticket_by_its_number(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await pilot.press("ctrl+p")
        await wait_for_screen(pilot, CommandPalette)
        await pilot.press(*"T-1042")
        prompts: list[str] = []
        for _ in range(100):  # the palette searches in the background
            await pilot.pause(0.02)
            options = app.screen.query_one(OptionList)
            prompts = [
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            ]
            if any("Open ticket T-1042" in p for p in prompts):
                break
        assert any("Open ticket T-1042" in p for p in prompts), prompts
        await pilot.press("enter")
        await wait_for_screen(pilot, AccountScreen)
        assert app.screen.ticket is not None and app.screen.ticket.id == "T-1042"  # type: ignore[attr-defined]


async def test_a_keymap_from_the_config_rebinds_the_queue(ctx: ServiceContext) -> None:
    app = make_desk(ctx, settings=desk_settings(keymap={"queue.refresh": "f5", "lock": "f12"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await pilot.press("f12")
        await wait_for_screen(pilot, LockScreen)
