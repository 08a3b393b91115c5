"""SVG snapshots of the key screens at 80×24, on the demo world at a frozen time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.support import (
    SnapshotDesk,
)


def test_sign_in_screen(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)
    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=desk.at_sign_in)


def test_queue_screen(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)
    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=desk.sign_in)


def test_account_screen_from_the_sms_ticket(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)

    async def open_account(pilot: Pilot[int]) -> None:
        await desk.sign_in(pilot)
        pilot.app.screen.open_ticket_id("T-1042")  # type: ignore[attr-defined]
        await desk.settle(pilot)

    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=open_account)


def test_why_prompted_screen(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)

    async def open_branch(pilot: Pilot[int]) -> None:
        await desk.sign_in(pilot)
        pilot.app.screen.open_ticket_id("T-1054")  # type: ignore[attr-defined]
        await desk.settle(pilot)
        await pilot.press("w")
        await desk.settle(pilot)

    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=open_branch)
