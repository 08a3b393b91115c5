"""The key screens at 120×40 (their 80×24 snapshots live beside the screens' own tests):
the account, the lost phone, why prompted, and an audit entry read as fields."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from supportdesk.service.audit import Actor, append_audit
from tests.tui.support import SnapshotDesk

WIDE = (120, 40)


def open_ticket(desk: SnapshotDesk, ticket_id: str, key: str | None = None) -> Any:
    async def run_before(pilot: Pilot[int]) -> None:
        await desk.sign_in(pilot)
        pilot.app.screen.open_ticket_id(ticket_id)  # type: ignore[attr-defined]
        await desk.settle(pilot)
        if key is not None:
            await pilot.press(key)
            await desk.settle(pilot)

    return run_before


def test_account_screen_wide(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)
    assert snap_compare(desk.app, terminal_size=WIDE, run_before=open_ticket(desk, "T-1042"))


def test_lost_device_screen_wide(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)
    assert snap_compare(desk.app, terminal_size=WIDE, run_before=open_ticket(desk, "T-1049", "l"))


def test_why_prompted_screen_wide(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)
    assert snap_compare(desk.app, terminal_size=WIDE, run_before=open_ticket(desk, "T-1054", "w"))


def test_audit_detail_wide(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)

    async def open_audit(pilot: Pilot[int]) -> None:
        await desk.settle(pilot)
        assert desk.ctx is not None
        ctx = desk.ctx
        async with ctx.engine.begin() as conn:  # before the lead signs in: same hashes each run
            await append_audit(
                conn,
                at=ctx.clock.now() - timedelta(hours=2),
                actor=Actor("demo-agent", "agent"),
                action="mfa.reset",
                outcome="success",
                target_user="u1008",
                ticket_id="T-1050",
                reason="Phone stolen; only factor; owner confirmed on a call-back",
                verification=["email_code", "account_owner_callback"],
                detail={"factors_removed": 1, "sessions_revoked": 2},
                request_id="req-wide-0001",
            )
        await desk.sign_in(pilot, "demo-lead")
        await pilot.press("A")
        await desk.settle(pilot)
        await pilot.press("down")  # past the lead's own sign-in, to the reset
        await desk.settle(pilot)

    assert snap_compare(desk.app, terminal_size=WIDE, run_before=open_audit)
