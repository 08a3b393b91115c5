"""Four-eyes on sensitive accounts: an agent's reset of an admin waits for a lead, nobody
approves their own request, a denial changes nothing, and requests lapse."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Conflict, Forbidden, NotFound
from supportdesk.api.recovery import RecoveryResult
from supportdesk.embedded import client_for
from supportdesk.rules.policy import Action
from supportdesk.service.context import ServiceContext
from tests.service.support import (
    audit_rows,
    email_verification,
    enduser_sign_in,
)
from tests.support import sign_in_as

REASON = "Admin dropped her phone off the pier; only factor"


@pytest.fixture
async def agent(client: SupportDeskClient, ctx: ServiceContext) -> SupportDeskClient:
    await sign_in_as(client, ctx, "demo-agent")
    return client


@pytest.fixture
async def lead(ctx: ServiceContext) -> AsyncIterator[SupportDeskClient]:
    async with client_for(ctx) as desk:
        await sign_in_as(desk, ctx, "demo-lead")
        yield desk


async def request_admin_reset(desk: SupportDeskClient, ctx: ServiceContext) -> RecoveryResult:
    """T-1052: admin u1004 lost her only factor; verified by e-mail code and a call-back."""
    verified = await email_verification(desk, ctx, "u1004", "T-1052")
    return await desk.recover(
        Action.RESET_MFA,
        "u1004",
        ticket_id="T-1052",
        reason=REASON,
        checks=["account_owner_callback"],
        verification_ids=[verified],
    )


async def still_untouched(desk: SupportDeskClient, ctx: ServiceContext) -> None:
    profile = await desk.get_user("u1004")
    assert profile.mfa_status == "active" and len(profile.factors) == 1
    assert (await enduser_sign_in(desk, ctx, "u1004")).status == "mfa_required"


async def test_an_agents_reset_of_an_admin_waits_until_a_lead_approves(
    agent: SupportDeskClient, lead: SupportDeskClient, ctx: ServiceContext
) -> None:
    pending = await request_admin_reset(agent, ctx)
    assert pending.status == "pending_approval" and pending.approval is not None
    assert "The account is an administrator." in pending.summary
    assert "Nothing changes until a lead approves" in pending.summary
    await still_untouched(agent, ctx)

    inbox = await lead.list_approvals()
    assert [(a.id, a.requested_by, a.target_name) for a in inbox] == [
        (pending.approval.id, "demo-agent", "Denise Washington")
    ]
    request = inbox[0]
    assert request.verification == ["account_owner_callback", "email_code"]
    assert request.ticket_id == "T-1052" and request.reason == REASON
    assert request.expires_at == ctx.clock.now() + timedelta(hours=24)
    assert (await lead.approval_summary()).awaiting_you == 1

    ctx.clock.advance(timedelta(minutes=10))
    decided = await lead.approve(request.id, "Called Denise back on the company line")
    assert decided.approval.status == "approved" and decided.approval.decided_by == "demo-lead"
    assert decided.result is not None and decided.result.status == "done"
    assert (await enduser_sign_in(agent, ctx, "u1004")).status == "setup_required"
    assert (await agent.list_approvals("decided"))[0].status == "approved"

    entries = [(e["action"], e["actor"], e["outcome"]) for e in await audit_rows(ctx, user="u1004")]
    assert entries[-3:] == [
        ("mfa.reset", "demo-agent", "pending_approval"),
        ("approval.approve", "demo-lead", "approved"),
        ("mfa.reset", "demo-agent", "success"),
    ]
    done = (await audit_rows(ctx, user="u1004"))[-1]
    assert json.loads(done["detail"])["approved_by"] == "demo-lead"
    assert (done["ticket_id"], done["reason"]) == ("T-1052", REASON)


async def test_the_requesting_lead_cannot_approve_their_own_request(
    lead: SupportDeskClient, ctx: ServiceContext
) -> None:
    pending = await request_admin_reset(lead, ctx)
    assert pending.status == "pending_approval" and pending.approval is not None
    assert (await lead.approval_summary()).awaiting_you == 0
    with pytest.raises(Forbidden, match="Nobody approves their own request") as refused:
        await lead.approve(pending.approval.id)
    assert refused.value.code == "self_approval"
    await still_untouched(lead, ctx)
    assert (await lead.get_approval(pending.approval.id)).status == "pending"
    refusal = (await audit_rows(ctx, action="approval.approve"))[-1]
    assert (refusal["actor"], refusal["outcome"]) == ("demo-lead", "refused")


async def test_an_agent_cannot_approve_even_someone_elses_request(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    pending = await request_admin_reset(agent, ctx)
    assert pending.approval is not None
    async with client_for(ctx) as other:
        await sign_in_as(other, ctx, "demo-agent2")
        with pytest.raises(NotFound):
            await other.get_approval(pending.approval.id)
        assert await other.list_approvals() == []
        with pytest.raises(Forbidden, match="Only a team lead") as refused:
            await other.approve(pending.approval.id)
    assert refused.value.code == "not_a_lead"
    await still_untouched(agent, ctx)
    [refusal] = await audit_rows(ctx, action="approval.approve")
    assert (refusal["actor"], refusal["outcome"]) == ("demo-agent2", "refused")


async def test_a_denied_request_changes_nothing(
    agent: SupportDeskClient, lead: SupportDeskClient, ctx: ServiceContext
) -> None:
    pending = await request_admin_reset(agent, ctx)
    assert pending.approval is not None
    denied = await lead.deny(pending.approval.id, "Could not reach the company's account owner")
    assert denied.approval.status == "denied" and denied.result is None
    await still_untouched(agent, ctx)
    with pytest.raises(Conflict, match="already denied by demo-lead"):
        await lead.approve(pending.approval.id)
    await still_untouched(agent, ctx)
    mine = await agent.list_approvals("all")
    assert [(a.status, a.decision_note) for a in mine] == [
        ("denied", "Could not reach the company's account owner")
    ]
    assert [e["outcome"] for e in await audit_rows(ctx, action="approval.deny")] == ["denied"]


async def test_a_requester_may_withdraw_but_not_decide_for_others(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    pending = await request_admin_reset(agent, ctx)
    assert pending.approval is not None
    withdrawn = await agent.deny(pending.approval.id, "User found her backup phone")
    assert withdrawn.approval.status == "denied"
    [entry] = await audit_rows(ctx, action="approval.deny")
    assert entry["outcome"] == "withdrawn"
    await still_untouched(agent, ctx)


async def test_requests_lapse_after_a_day(
    agent: SupportDeskClient, lead: SupportDeskClient, ctx: ServiceContext
) -> None:
    pending = await request_admin_reset(agent, ctx)
    assert pending.approval is not None
    ctx.clock.advance(timedelta(hours=24))
    await sign_in_as(lead, ctx, "demo-lead")  # the old session has long gone idle
    assert await lead.list_approvals() == []
    with pytest.raises(Conflict, match="lapsed") as refused:
        await lead.approve(pending.approval.id)
    assert refused.value.code == "approval_expired"
    assert (await lead.get_approval(pending.approval.id)).status == "expired"
    await still_untouched(lead, ctx)


async def test_one_request_per_action_and_user_waits_at_a_time(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    await request_admin_reset(agent, ctx)
    ctx.clock.advance(timedelta(seconds=31))
    with pytest.raises(Conflict, match="already waiting for a lead"):
        await request_admin_reset(agent, ctx)


@pytest.mark.parametrize(
    ("user_id", "ticket_id", "why"),
    [
        ("u1035", "T-1057", "The account's MFA was reset in the last 7 days."),
        ("u1004", "T-1052", "The account is an administrator."),
    ],
)
async def test_an_access_code_for_a_sensitive_account_is_shown_to_the_approving_lead_once(
    agent: SupportDeskClient,
    lead: SupportDeskClient,
    ctx: ServiceContext,
    user_id: str,
    ticket_id: str,
    why: str,
) -> None:
    verified = await email_verification(agent, ctx, user_id, ticket_id)
    pending = await agent.recover(
        Action.ISSUE_ACCESS_CODE,
        user_id,
        ticket_id=ticket_id,
        reason="Locked out again",
        checks=["account_owner_callback"],
        verification_ids=[verified],
    )
    assert pending.status == "pending_approval" and pending.access_code is None
    assert pending.approval is not None and why in pending.approval.sensitive_because
    decided = await lead.approve(pending.approval.id, idempotency_key="approve-code-0001")
    assert decided.result is not None and decided.result.access_code is not None
    again = await lead.approve(pending.approval.id, idempotency_key="approve-code-0001")
    assert again.result is not None and again.result.access_code is None
    started = await enduser_sign_in(agent, ctx, user_id)
    code = decided.result.access_code
    assert (await agent.enduser_verify(started.challenge_id, "access_code", code)).status == (
        "enrol_only"
    )
