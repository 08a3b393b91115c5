"""SVG snapshots of the lost-device screen (T-1049, the lost phone marked lost from the ticket)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.support import (
    SnapshotDesk,
)


def test_lost_device_screen(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)

    async def open_branch(pilot: Pilot[int]) -> None:
        await desk.sign_in(pilot)
        pilot.app.screen.open_ticket_id("T-1049")  # type: ignore[attr-defined]
        await desk.settle(pilot)
        await pilot.press("l")  # "I lost my phone": the authenticator is marked lost
        await desk.settle(pilot)

    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=open_branch)
