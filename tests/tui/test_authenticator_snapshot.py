"""The result card for T-1047 at 80×24: Ray's phone, 150 s slow, diagnosed from two codes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from supportdesk.service.demo.phone import read_demo_phone
from tests.tui.support import (
    SnapshotDesk,
)


def test_authenticator_result_card(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)

    async def diagnose_ray(pilot: Pilot[int]) -> None:
        await desk.sign_in(pilot)
        pilot.app.screen.open_ticket_id("T-1047")  # type: ignore[attr-defined]
        await desk.settle(pilot)
        await pilot.press("a")
        await desk.settle(pilot)
        assert desk.ctx is not None
        first = await read_demo_phone(desk.ctx.engine, "u1005", desk.ctx.clock.now())
        desk.ctx.clock.advance(timedelta(seconds=first.seconds_left))
        second = await read_demo_phone(desk.ctx.engine, "u1005", desk.ctx.clock.now())
        screen = pilot.app.screen
        screen.query_one("#code-now", Input).value = first.code
        screen.query_one("#code-next", Input).value = second.code
        screen.query_one("#phone-time", Input).focus()
        await pilot.press("enter")
        await desk.settle(pilot)

    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=diagnose_ray)
