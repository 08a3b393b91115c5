"""SVG snapshot of a lead's approvals inbox at 80×24: an agent's reset of an admin, waiting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from supportdesk.rules.policy import Action
from tests.tui.support import (
    SnapshotDesk,
    email_verification,
    second_client,
)


def test_approvals_inbox(snap_compare: Any, demo_db: Path) -> None:
    desk = SnapshotDesk(demo_db)

    async def open_inbox(pilot: Pilot[int]) -> None:
        await desk.settle(pilot)
        assert desk.ctx is not None
        async with await second_client(desk.ctx, "demo-agent") as agent:
            verified = await email_verification(agent, desk.ctx, "u1004", "T-1052")
            await agent.recover(
                Action.RESET_MFA,
                "u1004",
                ticket_id="T-1052",
                reason="Admin dropped her phone off the pier; only factor",
                checks=["account_owner_callback"],
                verification_ids=[verified],
            )
        await desk.sign_in(pilot, "demo-lead")
        await pilot.press("p")
        await desk.settle(pilot)

    assert snap_compare(desk.app, terminal_size=(80, 24), run_before=open_inbox)
