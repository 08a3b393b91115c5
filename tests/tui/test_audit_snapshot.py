"""SVG snapshot of the audit screen at 80×24: a lead's view of the resets, frozen in time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from supportdesk.service.audit import Actor, append_audit
from tests.tui.support import (
    SnapshotDesk,
)

RESETS = [
    # (hours ago, agent, action, user, outcome)
    (50, "demo-agent", "mfa.reset", "u1003", "success"),
    (30, "demo-agent2", "mfa.reset", "u1001", "success"),
    (26, "demo-agent2", "factor.remove", "u1002", "success"),
    (25, "demo-agent2", "mfa.reset", "u1002", "success"),
    (3, "demo-agent", "password.reset", "u1004", "refused"),
]


def test_audit_screen_filtered_to_resets(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)

    async def open_audit(pilot: Pilot[int]) -> None:
        await desk.settle(pilot)
        assert desk.ctx is not None
        ctx = desk.ctx
        # Written before the lead signs in, so every hash on screen is the same each run.
        for n, (hours, agent, action, user, outcome) in enumerate(RESETS):
            async with ctx.engine.begin() as conn:
                await append_audit(
                    conn,
                    at=ctx.clock.now() - timedelta(hours=hours),
                    actor=Actor(agent, "agent"),
                    action=action,
                    outcome=outcome,
                    target_user=user,
                    ticket_id="T-1042",
                    reason="lost phone; identity checked on a video call",
                    verification=["video call", "manager confirmed"],
                    request_id=f"req-{n:04d}",
                )
        await desk.sign_in(pilot, "demo-lead")
        await pilot.press("A")
        await desk.settle(pilot)
        pilot.app.screen.query_one("#audit-action", Input).value = "reset"
        pilot.app.screen.query_one("#audit-when", Input).value = "last 7 days"
        pilot.app.screen.query_one("#audit-when", Input).focus()
        await pilot.press("enter")
        await desk.settle(pilot)

    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=open_audit)
