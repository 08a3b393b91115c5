"""The approvals inbox at the desk: the lead sees the count in the header, opens the inbox
with `p`, reads the detail and approves or denies; agents follow their own requests."""

from __future__ import annotations

import json
from datetime import timedelta

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.recovery import RecoveryResult
from supportdesk.rules.policy import Action
from supportdesk.service.context import ServiceContext
from supportdesk.tui.app import SupportDeskApp
from supportdesk.tui.screens.approvals import ApprovalsScreen
from supportdesk.tui.screens.confirm_recovery import ConfirmRecovery
from tests.tui.support import (
    audit_rows,
    email_verification,
    enduser_sign_in,
    make_desk,
    second_client,
    settle,
    sign_in,
    wait_for_screen,
)


def text(app: SupportDeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def request_admin_reset(desk: SupportDeskClient, ctx: ServiceContext) -> RecoveryResult:
    """T-1052, asked for from another desk: admin u1004 lost her only factor."""
    verified = await email_verification(desk, ctx, "u1004", "T-1052")
    return await desk.recover(
        Action.RESET_MFA,
        "u1004",
        ticket_id="T-1052",
        reason="Admin lost her only phone",
        checks=["account_owner_callback"],
        verification_ids=[verified],
    )


async def open_inbox(pilot: Pilot[int]) -> None:
    await pilot.press("p")
    await wait_for_screen(pilot, ApprovalsScreen)
    await settle(pilot)


async def test_the_lead_approves_an_agents_request_in_the_inbox(ctx: ServiceContext) -> None:
    agent = await second_client(ctx, "demo-agent")
    async with agent:
        pending = await request_admin_reset(agent, ctx)
    assert pending.approval is not None
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx, "demo-lead")
        await settle(pilot)
        assert text(app, "#header-approvals") == "⚑ 1 approval"
        await open_inbox(pilot)
        assert "waiting for a lead · 1 pending" in text(app, "#approvals-title")
        detail = text(app, "#approval-detail")
        for seen in (
            f"#{pending.approval.id} Reset MFA · pending",
            "Denise Washington (u1004)",
            "Four-eyes because: The account is an administrator.",
            "Asked by demo-agent (agent) on T-1052",
            "Reason: Admin lost her only phone",
            "Checks: owner call-back, e-mail code",
            "a approve: carries it out now",
        ):
            assert seen in detail

        await pilot.press("a")
        await wait_for_screen(pilot, ConfirmRecovery)
        assert "recorded under both names: demo-agent asked, you approved" in text(
            app, "#confirm-body"
        )
        app.screen.query_one("#confirm-reason", Input).value = "Called her back on the HQ line"
        await pilot.press("enter")
        await wait_for_screen(pilot, ApprovalsScreen)
        await settle(pilot)
        assert "nothing is waiting for a decision" in text(app, "#approvals-title")
        assert not app.screen.query_one("#header-approvals").display

        await pilot.press("h")  # history: the decided request, with who decided it
        await settle(pilot)
        table = app.screen.query_one("#approvals", DataTable)
        assert str(table.get_row_at(0)[-1]) == "approved by demo-lead"
        assert "Decided by demo-lead" in text(app, "#approval-detail")
    assert (await enduser_sign_in(ctx, "u1004")).status == "setup_required"
    done = (await audit_rows(ctx, action="mfa.reset"))[-1]
    assert done["actor"] == "demo-agent" and done["outcome"] == "success"
    assert json.loads(done["detail"])["approved_by"] == "demo-lead"


async def test_the_inbox_tells_a_lead_they_cannot_approve_their_own_request(
    ctx: ServiceContext,
) -> None:
    lead = await second_client(ctx, "demo-lead")
    async with lead:
        await request_admin_reset(lead, ctx)
    ctx.clock.advance(timedelta(seconds=30))  # the lead's code is spent for this 30 s step
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx, "demo-lead")
        await settle(pilot)
        assert not app.screen.query_one("#header-approvals").display  # nothing awaits *them*
        await open_inbox(pilot)
        assert "Nobody approves their own request" in text(app, "#approval-detail")
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ApprovalsScreen)
    assert (await enduser_sign_in(ctx, "u1004")).status == "mfa_required"


async def test_a_lead_denies_and_the_agent_sees_why(ctx: ServiceContext) -> None:
    agent = await second_client(ctx, "demo-agent")
    async with agent:
        pending = await request_admin_reset(agent, ctx)
    assert pending.approval is not None
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx, "demo-lead")
        await open_inbox(pilot)
        await pilot.press("n")
        await wait_for_screen(pilot, ConfirmRecovery)
        await pilot.press("enter")  # a denial needs a reason the agent can read
        await pilot.pause()
        assert "Give a reason" in text(app, "#confirm-message")
        app.screen.query_one("#confirm-reason", Input).value = "Call-back number did not answer"
        await pilot.press("enter")
        await wait_for_screen(pilot, ApprovalsScreen)
        await settle(pilot)

    ctx.clock.advance(timedelta(seconds=30))
    desk = make_desk(ctx)
    async with desk.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx, "demo-agent")
        await open_inbox(pilot)
        assert "your requests · 0 pending" in text(desk, "#approvals-title")
        detail = text(desk, "#approval-detail")
        assert f"#{pending.approval.id} Reset MFA · denied" in detail
        assert "Decided by demo-lead" in detail and "Call-back number did not answer" in detail
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(desk.screen, ApprovalsScreen)
    assert (await enduser_sign_in(ctx, "u1004")).status == "mfa_required"
