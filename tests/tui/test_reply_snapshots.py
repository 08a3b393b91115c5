"""The queue with its branch column at 120×40 (80×24 is in test_snapshots_core), and the
reply screen for the Bitwarden question at both sizes, its answer inserted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.support import SnapshotDesk


def test_queue_screen_wide(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)
    assert snap_compare(desk.app, terminal_size=(120, 40), run_before=desk.sign_in)


def reply_to_bitwarden(desk: SnapshotDesk) -> Any:
    async def run_before(pilot: Pilot[int]) -> None:
        await desk.sign_in(pilot)
        queue = pilot.app.screen
        table = queue.query_one("#queue")
        table.move_cursor(row=table.get_row_index("T-1062"))  # type: ignore[attr-defined]
        await pilot.press("enter", "enter")  # the reply, then the first answer into it
        await desk.settle(pilot)

    return run_before


def test_reply_screen(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)
    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=reply_to_bitwarden(desk))


def test_reply_screen_wide(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)
    assert snap_compare(desk.app, terminal_size=(120, 40), run_before=reply_to_bitwarden(desk))
