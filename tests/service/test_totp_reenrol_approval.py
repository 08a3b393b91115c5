"""Re-enrolling the authenticator app of a sensitive account goes through four-eyes like the
lost-phone actions: the request waits for a lead, the lead's approval carries it out (old
codes fail, the next sign-in asks for a new QR code), a denial changes nothing, and nobody
approves their own request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Conflict, Forbidden, InvalidInput, Unauthorised
from supportdesk.api.recovery import RecoveryResult
from supportdesk.embedded import client_for
from supportdesk.rules.policy import Check
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.approvals import params_of as approval_params
from supportdesk.service.store.schema import approvals, factors
from tests.service.support import audit_rows, email_verification, user_email
from tests.support import sign_in_as

DENISE = "u1004"  # an administrator; her only factor is Authy (T-1052)
SEAN = "u1035"  # MFA reset 3 days ago, new iPhone app (T-1057)
REASON = "Authy restored from an old backup: codes match nowhere, clock is right"
CALLBACK = [Check.ACCOUNT_OWNER_CALLBACK]


@pytest.fixture
async def agent(any_client: SupportDeskClient, any_ctx: ServiceContext) -> SupportDeskClient:
    await sign_in_as(any_client, any_ctx, "demo-agent")
    return any_client


@pytest.fixture
async def lead(any_ctx: ServiceContext) -> AsyncIterator[SupportDeskClient]:
    async with client_for(any_ctx) as desk:
        await sign_in_as(desk, any_ctx, "demo-lead")
        yield desk


async def app_secret(ctx: ServiceContext, factor_id: str) -> str | None:
    async with ctx.engine.connect() as conn:
        secret = (
            await conn.execute(select(factors.c.totp_secret).where(factors.c.id == factor_id))
        ).scalar_one()
    return str(secret) if secret else None


async def sign_in_with_app(client: SupportDeskClient, ctx: ServiceContext, secret: str) -> str:
    """Denise signs in with what her app shows (a fresh 30-second step each time)."""
    ctx.clock.advance(timedelta(seconds=30))
    started = await client.enduser_sign_in(await user_email(ctx, DENISE), "demo")
    code = pyotp.TOTP(secret).at(ctx.clock.now())
    return (await client.enduser_verify(started.challenge_id, "totp", code)).status


async def request_denise(desk: SupportDeskClient, **extra: str) -> RecoveryResult:
    pending = await desk.reenrol_totp(
        DENISE, "T-1052", reason=REASON, verification=CALLBACK, **extra
    )
    assert isinstance(pending, RecoveryResult)
    assert pending.status == "pending_approval" and pending.approval is not None
    return pending


async def untouched(desk: SupportDeskClient, ctx: ServiceContext, secret: str) -> None:
    profile = await desk.get_user(DENISE)
    assert profile.factor_types == ["totp"] and profile.enrol_required is None
    assert await app_secret(ctx, "u1004-f1") == secret
    assert await sign_in_with_app(desk, ctx, secret) == "signed_in"


async def test_a_request_waits_then_the_leads_approval_retires_the_app(
    agent: SupportDeskClient, lead: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    ctx = any_ctx
    secret = await app_secret(ctx, "u1004-f1")
    assert secret is not None
    pending = await request_denise(agent)
    assert pending.action == "reenrol_totp"
    assert "The account is an administrator." in pending.summary
    await untouched(agent, ctx, secret)

    [request] = await lead.list_approvals()
    assert request.id == pending.approval.id  # type: ignore[union-attr]
    assert (request.action, request.action_title) == (
        "reenrol_totp",
        "Re-enrol the authenticator app (new QR code)",
    )
    assert request.factor_label == "Authenticator app 'Authy'"
    assert (request.requested_by, request.ticket_id, request.reason) == (
        "demo-agent",
        "T-1052",
        REASON,
    )
    assert request.verification == ["account_owner_callback"]

    decided = await lead.approve(request.id, "Called Denise back on the company line")
    assert decided.approval.status == "approved" and decided.result is not None
    result = decided.result
    assert (result.status, result.action) == ("done", "reenrol_totp")
    assert result.factors_removed == ["Authenticator app 'Authy'"]
    assert "straight to MFA setup" in result.summary and "approved by you" in result.summary

    # The old codes fail and the next sign-in asks for the app to be enrolled again.
    assert await app_secret(ctx, "u1004-f1") is None
    started = await agent.enduser_sign_in(await user_email(ctx, DENISE), "demo")
    assert (started.status, started.enrol_required) == ("setup_required", "totp")
    with pytest.raises(Unauthorised):
        await agent.enduser_verify(
            started.challenge_id, "totp", pyotp.TOTP(secret).at(ctx.clock.now())
        )

    entries = await audit_rows(ctx, user=DENISE)
    assert [(e["action"], e["actor"], e["outcome"]) for e in entries[-3:]] == [
        ("totp.reenrol", "demo-agent", "pending_approval"),
        ("approval.approve", "demo-lead", "approved"),
        ("totp.reenrol", "demo-agent", "success"),
    ]
    done = entries[-1]
    detail = json.loads(done["detail"])
    assert (detail["approved_by"], detail["factor_id"]) == ("demo-lead", "u1004-f1")
    assert (detail["remaining_methods"], detail["mfa_status"]) == ([], "setup_required")
    assert (done["ticket_id"], done["reason"]) == ("T-1052", REASON)
    assert json.loads(done["verification"]) == ["account_owner_callback"]


async def test_a_denied_request_changes_nothing(
    agent: SupportDeskClient, lead: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    secret = await app_secret(any_ctx, "u1004-f1")
    assert secret is not None
    pending = await request_denise(agent)
    assert pending.approval is not None
    denied = await lead.deny(pending.approval.id, "Denise's manager did not confirm")
    assert denied.approval.status == "denied" and denied.result is None
    await untouched(agent, any_ctx, secret)
    with pytest.raises(Conflict, match="already denied by demo-lead"):
        await lead.approve(pending.approval.id)
    await untouched(agent, any_ctx, secret)


async def test_the_requester_cannot_approve_their_own_request(
    agent: SupportDeskClient, lead: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    secret = await app_secret(any_ctx, "u1004-f1")
    assert secret is not None
    by_agent = await request_denise(agent)
    assert by_agent.approval is not None
    with pytest.raises(Forbidden) as not_lead:
        await agent.approve(by_agent.approval.id)
    assert not_lead.value.code == "not_a_lead"
    await agent.deny(by_agent.approval.id, "handing it to the lead")  # withdrawn

    by_lead = await request_denise(lead)
    assert by_lead.approval is not None
    with pytest.raises(Forbidden, match="Nobody approves their own request") as own:
        await lead.approve(by_lead.approval.id)
    assert own.value.code == "self_approval"
    assert (await lead.get_approval(by_lead.approval.id)).status == "pending"
    await untouched(agent, any_ctx, secret)


async def test_a_retry_with_the_same_key_files_one_request(
    agent: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    first = await request_denise(agent, idempotency_key="reenrol-denise-0001")
    again = await request_denise(agent, idempotency_key="reenrol-denise-0001")
    assert again == first
    async with any_ctx.engine.connect() as conn:
        count = (
            await conn.execute(
                select(func.count())
                .select_from(approvals)
                .where(approvals.c.target_user_id == DENISE)
            )
        ).scalar_one()
    assert count == 1
    logged = await audit_rows(any_ctx, action="totp.reenrol")
    assert [e["outcome"] for e in logged] == ["pending_approval"]


async def test_a_recently_reset_account_waits_too_and_a_gone_app_is_not_retired_again(
    agent: SupportDeskClient, lead: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    pending = await agent.reenrol_totp(SEAN, "T-1057", reason=REASON, verification=CALLBACK)
    assert isinstance(pending, RecoveryResult) and pending.approval is not None
    assert pending.approval.sensitive_because == ["The account's MFA was reset in the last 7 days."]
    # Meanwhile the app goes away some other way (here: straight in the store).
    async with any_ctx.engine.begin() as conn:
        await conn.execute(
            factors.update().where(factors.c.user_id == SEAN).values(removed_at=any_ctx.clock.now())
        )
    with pytest.raises(Conflict, match="already retired"):
        await lead.approve(pending.approval.id)
    assert (await lead.get_approval(pending.approval.id)).status == "pending"


async def test_a_request_carries_the_challenge_the_service_checked(
    agent: SupportDeskClient, lead: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    # Ticked without a challenge, the e-mail code files nothing.
    with pytest.raises(InvalidInput, match="send a challenge") as refused:
        await agent.reenrol_totp(DENISE, "T-1052", reason=REASON, verification=[Check.EMAIL_CODE])
    assert refused.value.field == "verification_ids"
    assert [a for a in await lead.list_approvals() if a.target_user_id == DENISE] == []

    verified = await email_verification(agent, any_ctx, DENISE, "T-1052")
    pending = await agent.reenrol_totp(DENISE, "T-1052", reason=REASON, verification_ids=[verified])
    assert isinstance(pending, RecoveryResult) and pending.approval is not None
    assert pending.approval.verification == ["email_code"]
    async with any_ctx.engine.connect() as conn:
        row = (
            await conn.execute(select(approvals).where(approvals.c.id == pending.approval.id))
        ).one()
    assert approval_params(dict(row._mapping))["verification_ids"] == [verified]

    decided = await lead.approve(pending.approval.id, "e-mail code read back")
    assert decided.result is not None and decided.result.status == "done"
    done = (await audit_rows(any_ctx, action="totp.reenrol", user=DENISE))[-1]
    assert done["outcome"] == "success"
    assert json.loads(done["verification"]) == ["email_code"]
