"""Re-enrolling the authenticator app: the old secret is retired and the next sign-in
asks for a new QR code. Proven through the end user's own sign-in, as the article
promises ("add it again using a new QR code")."""

from __future__ import annotations

import json
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Conflict, InvalidInput, Unauthorised
from supportdesk.api.recovery import RecoveryResult
from supportdesk.rules.policy import Check
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.phone import read_demo_phone
from supportdesk.service.store.schema import factors, users
from tests.service.support import (
    audit_rows,
    email_verification,
    factor_code,
    latest_message_code,
)
from tests.support import sign_in_as

RAY = "u1005"
RAY_EMAIL = "ray.castillo@lonestarreefer.example"
LUCIA = "u1012"
LUCIA_EMAIL = "lucia.trevino@sierranorte.example"
REASON = "codes match nowhere while the phone clock is right: stale secret"


@pytest.fixture
async def agent(client: SupportDeskClient, ctx: ServiceContext) -> SupportDeskClient:
    await sign_in_as(client, ctx, "demo-agent")
    return client


async def app_secret(ctx: ServiceContext, user_id: str) -> str:
    """The secret the user's app holds (tests read the store; the API never gives it)."""
    async with ctx.engine.connect() as conn:
        return str(
            (
                await conn.execute(
                    select(factors.c.totp_secret)
                    .where(factors.c.user_id == user_id)
                    .where(factors.c.type == "totp")
                )
            ).scalar_one()
        )


async def sign_in_with_totp(client: SupportDeskClient, email: str, code: str) -> str:
    started = await client.enduser_sign_in(email, "demo")
    return (await client.enduser_verify(started.challenge_id, "totp", code)).status


async def test_after_reenrolment_old_codes_fail_and_sign_in_asks_for_setup(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    secret = await app_secret(ctx, RAY)
    # Before: a code from the app's secret on a right clock signs Ray in.
    assert await sign_in_with_totp(agent, RAY_EMAIL, pyotp.TOTP(secret).at(ctx.clock.now())) == (
        "signed_in"
    )
    before = await agent.enduser_sign_in(RAY_EMAIL, "demo")
    assert before.status == "mfa_required" and before.methods == ["totp"]

    ctx.clock.advance(timedelta(seconds=30))
    verified = await email_verification(agent, ctx, RAY, "T-1047")
    done = await agent.reenrol_totp(RAY, "T-1047", reason=REASON, verification_ids=[verified])

    assert done.retired_factor_id == "u1005-f1"
    assert done.retired_label == "Google Authenticator"
    assert done.enrol_required == "totp"
    assert done.mfa_status == "setup_required"
    assert done.remaining_methods == []
    assert "straight to MFA setup" in done.next_sign_in
    assert done.profile.factors == [] and done.profile.enrol_required == "totp"

    after = await agent.enduser_sign_in(RAY_EMAIL, "demo")
    assert after.status == "setup_required"
    assert after.enrol_required == "totp"
    with pytest.raises(Unauthorised):
        await agent.enduser_verify(
            after.challenge_id, "totp", pyotp.TOTP(secret).at(ctx.clock.now())
        )
    # What Ray's slow phone shows fails too.
    phone_code = pyotp.TOTP(secret).at(ctx.clock.now() - timedelta(seconds=150))
    with pytest.raises(Unauthorised):
        await sign_in_with_totp(agent, RAY_EMAIL, phone_code)


async def test_the_secret_is_retired_in_the_store(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    verified = await email_verification(agent, ctx, RAY, "T-1047")
    await agent.reenrol_totp(RAY, "T-1047", reason=REASON, verification_ids=[verified])
    async with ctx.engine.connect() as conn:
        factor = (await conn.execute(select(factors).where(factors.c.id == "u1005-f1"))).one()
        user = (await conn.execute(select(users).where(users.c.id == RAY))).one()
    assert factor.totp_secret is None
    assert factor.removed_at == ctx.clock.now()
    assert (user.enrol_required, user.mfa_status) == ("totp", "setup_required")


async def test_a_user_with_sms_left_signs_in_with_it_and_is_asked_to_enrol_the_app(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    secret = await app_secret(ctx, LUCIA)
    # A code texted to the SMS factor she keeps, read back: a factor challenge.
    sent = await agent.send_challenge(LUCIA, ticket_id="T-1048", channel="sms")
    verified = await agent.answer_challenge(sent.id, await latest_message_code(ctx.engine, LUCIA))
    assert verified.check == "factor_challenge"
    done = await agent.reenrol_totp(LUCIA, "T-1048", reason=REASON, verification_ids=[verified.id])

    assert done.remaining_methods == ["sms"]
    assert done.mfa_status == "active"
    assert "SMS" in done.next_sign_in and "new QR code" in done.next_sign_in
    started = await agent.enduser_sign_in(LUCIA_EMAIL, "demo")
    assert (started.status, started.methods, started.enrol_required) == (
        "mfa_required",
        ["sms"],
        "totp",
    )
    with pytest.raises(Unauthorised):
        await agent.enduser_verify(
            started.challenge_id, "totp", pyotp.TOTP(secret).at(ctx.clock.now())
        )


async def test_reenrolment_is_audited_with_ticket_reason_and_verification(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    verified = await email_verification(agent, ctx, RAY, "T-1047")
    await agent.reenrol_totp(RAY, "T-1047", reason=REASON, verification_ids=[verified])

    await sign_in_as(agent, ctx, "demo-lead")
    entry = (await agent.audit_page(action="totp.reenrol")).entries[0]
    assert (entry.actor, entry.target_user, entry.ticket_id) == ("demo-agent", RAY, "T-1047")
    assert (entry.outcome, entry.reason) == ("success", REASON)
    assert entry.verification is not None and json.loads(entry.verification) == ["email_code"]
    assert entry.detail is not None and json.loads(entry.detail)["factor_id"] == "u1005-f1"
    assert json.loads(entry.detail)["verification_ids"] == [verified]


async def test_a_retired_app_cannot_be_diagnosed_or_retired_again(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    verified = await email_verification(agent, ctx, RAY, "T-1047")
    await agent.reenrol_totp(RAY, "T-1047", reason=REASON, verification_ids=[verified])
    phone = await read_demo_phone(ctx.engine, "demo-agent", ctx.clock.now())

    with pytest.raises(Conflict) as caught:
        await agent.reenrol_totp(RAY, "T-1047", reason=REASON, verification_ids=[verified])
    assert "already retired" in caught.value.message
    with pytest.raises(Conflict):
        await agent.diagnose_totp(RAY, "T-1047", codes=[phone.code])


@pytest.mark.parametrize(
    ("reason", "emailed", "field", "message"),
    [
        ("", True, "reason", "Give a reason"),
        (REASON, False, "verification", "Verify the user's identity"),
    ],
)
async def test_what_the_policy_needs_is_asked_for_and_nothing_changes(
    agent: SupportDeskClient,
    ctx: ServiceContext,
    reason: str,
    emailed: bool,
    field: str,
    message: str,
) -> None:
    ids = [await email_verification(agent, ctx, RAY, "T-1047")] if emailed else []
    with pytest.raises(InvalidInput) as caught:
        await agent.reenrol_totp(RAY, "T-1047", reason=reason, verification_ids=ids)
    assert caught.value.field == field
    assert message in caught.value.message
    assert (await agent.get_user(RAY)).factor_types == ["totp"]


async def test_an_admins_app_goes_to_a_lead_as_a_request(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    # Denise Washington (u1004, ticket T-1052) is an administrator.
    pending = await agent.reenrol_totp(
        "u1004", "T-1052", reason=REASON, verification=[Check.ACCOUNT_OWNER_CALLBACK]
    )
    assert isinstance(pending, RecoveryResult)
    assert (pending.status, pending.action) == ("pending_approval", "reenrol_totp")
    assert pending.approval is not None
    assert "administrator" in pending.summary and "Nothing changes" in pending.summary
    profile = await agent.get_user("u1004")
    assert profile.factor_types == ["totp"] and profile.enrol_required is None

    # The same request again, even from a lead, waits behind the first.
    ctx.clock.advance(timedelta(seconds=30))
    await sign_in_as(agent, ctx, "demo-lead")
    with pytest.raises(Conflict) as again:
        await agent.reenrol_totp(
            "u1004", "T-1052", reason=REASON, verification=[Check.ACCOUNT_OWNER_CALLBACK]
        )
    assert f"Request #{pending.approval.id}" in again.value.message
    assert "already waiting for a lead" in again.value.message
    logged = (await agent.audit_page(action="totp.reenrol", user="u1004")).entries
    assert [e.outcome for e in logged] == ["refused", "pending_approval"]  # newest first


async def test_a_service_account_gets_the_articles_answer(agent: SupportDeskClient) -> None:
    with pytest.raises(Conflict) as caught:
        await agent.reenrol_totp(
            "u1033", "T-1058", reason=REASON, verification=[Check.ACCOUNT_OWNER_CALLBACK]
        )
    assert "service account" in caught.value.message
    assert "credential manager" in caught.value.message


# -- identity checks the service itself verified ------------------------------------------------


@pytest.mark.parametrize("check", [Check.EMAIL_CODE, Check.FACTOR_CHALLENGE])
async def test_a_strong_check_ticked_without_a_challenge_is_refused_and_recorded(
    agent: SupportDeskClient, ctx: ServiceContext, check: Check
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await agent.reenrol_totp(RAY, "T-1047", reason=REASON, verification=[check])
    assert caught.value.field == "verification_ids"
    assert f"'{check.value}' counts only when the service checked the code" in (
        caught.value.message
    )
    assert "send a challenge" in caught.value.message
    assert (await agent.get_user(RAY)).factor_types == ["totp"]
    [entry] = await audit_rows(ctx, action="totp.reenrol", user=RAY)
    assert (entry["outcome"], entry["ticket_id"], entry["reason"]) == ("refused", "T-1047", REASON)
    assert json.loads(entry["verification"]) == []
    assert json.loads(entry["detail"])["code"] == "verification"


async def test_an_answered_email_challenge_counts_with_attested_checks(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    verified = await email_verification(agent, ctx, RAY, "T-1047")
    done = await agent.reenrol_totp(
        RAY,
        "T-1047",
        reason=REASON,
        verification=[Check.TICKET_HISTORY],
        verification_ids=[verified],
    )
    assert not isinstance(done, RecoveryResult) and done.retired_factor_id == "u1005-f1"
    [entry] = await audit_rows(ctx, action="totp.reenrol", user=RAY)
    assert entry["outcome"] == "success"
    assert json.loads(entry["verification"]) == ["email_code", "ticket_history"]


async def test_a_challenge_answered_by_the_app_being_reenrolled_does_not_count(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    # Whoever holds the app with the doubtful secret can read its code: that proves
    # nothing about who asks for a new QR code.
    sent = await agent.send_challenge(RAY, ticket_id="T-1047", channel="totp")
    verified = await agent.answer_challenge(sent.id, await factor_code(ctx, "u1005-f1"))
    with pytest.raises(InvalidInput) as caught:
        await agent.reenrol_totp(RAY, "T-1047", reason=REASON, verification_ids=[verified.id])
    assert caught.value.field == "verification_ids"
    assert "factor being re-enrolled" in caught.value.message
    assert (await agent.get_user(RAY)).factor_types == ["totp"]
    [entry] = await audit_rows(ctx, action="totp.reenrol", user=RAY)
    assert entry["outcome"] == "refused"
    assert json.loads(entry["detail"])["verification_ids"] == []


async def test_someone_elses_or_an_unanswered_challenge_does_not_count(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    sent = await agent.send_challenge(RAY, ticket_id="T-1047", channel="email")
    with pytest.raises(InvalidInput, match="never answered correctly") as caught:
        await agent.reenrol_totp(RAY, "T-1047", reason=REASON, verification_ids=[sent.id])
    assert caught.value.field == "verification_ids"
    with pytest.raises(InvalidInput, match="not one of yours for this user"):
        await agent.reenrol_totp(RAY, "T-1047", reason=REASON, verification_ids=["nope"])
    assert (await agent.get_user(RAY)).factor_types == ["totp"]
