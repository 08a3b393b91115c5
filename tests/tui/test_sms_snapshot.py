"""The SMS screen at 80×24 on T-1042, after the number check and a resend: the frozen
clock keeps the countdown, times and log still."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.support import (
    SnapshotDesk,
)


def test_sms_screen_after_a_resend(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)

    async def walk(pilot: Pilot[int]) -> None:
        await desk.sign_in(pilot)
        pilot.app.screen.open_ticket_id("T-1042")  # type: ignore[attr-defined]
        await desk.settle(pilot)
        await pilot.press("s")
        await desk.settle(pilot)
        await pilot.press("n", *"505 555 0162", "enter")
        await desk.settle(pilot)
        await pilot.press("r")
        await desk.settle(pilot)

    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=walk)
