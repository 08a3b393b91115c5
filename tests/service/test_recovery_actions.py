"""Lost phone or key, through the real API: what a reset, a removal and an access code do
to the user's next sign-in, and how the service refuses (and records) what the policy forbids."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import MetaData, String, Text, select

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Conflict, Forbidden, InvalidInput, Unauthorised
from supportdesk.rules.policy import SERVICE_ACCOUNT_GUIDANCE, Action
from supportdesk.service.context import ServiceContext
from supportdesk.service.security import normalise_access_code
from supportdesk.service.store.schema import factors, message_outbox, user_sessions
from tests.service.support import (
    audit_rows,
    email_verification,
    enduser_sign_in,
    factor_code,
    second_client,
)
from tests.support import sign_in_as

CALLBACK = ["account_owner_callback"]


@pytest.fixture
async def agent(client: SupportDeskClient, ctx: ServiceContext) -> SupportDeskClient:
    await sign_in_as(client, ctx, "demo-agent")
    return client


# -- reset -------------------------------------------------------------------------------------


async def test_after_a_reset_the_users_sign_in_demands_mfa_setup(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    """T-1050: phone stolen, the authenticator was the only factor."""
    before = await enduser_sign_in(agent, ctx, "u1008")
    assert before.status == "mfa_required" and before.methods == ["totp"]
    signed = await agent.enduser_verify(
        before.challenge_id, "totp", await factor_code(ctx, "u1008-f1")
    )
    assert signed.status == "signed_in"

    verified = await email_verification(agent, ctx, "u1008", "T-1050")
    result = await agent.recover(
        Action.RESET_MFA,
        "u1008",
        ticket_id="T-1050",
        reason="Phone stolen; only factor",
        checks=CALLBACK,
        verification_ids=[verified],
    )

    assert result.status == "done"
    assert result.factors_removed == ["Authenticator app 'Authenticator on my phone'"]
    assert result.sessions_revoked == 1
    after = await enduser_sign_in(agent, ctx, "u1008")
    assert after.status == "setup_required" and after.methods == []
    profile = await agent.get_user("u1008")
    assert profile.mfa_status == "setup_required" and profile.factors == []
    assert profile.last_mfa_reset_at == ctx.clock.now()
    async with ctx.engine.connect() as conn:
        live = (
            await conn.execute(
                select(user_sessions.c.id)
                .where(user_sessions.c.user_id == "u1008")
                .where(user_sessions.c.revoked_at.is_(None))
            )
        ).all()
    assert live == []
    [entry] = await audit_rows(ctx, action="mfa.reset", user="u1008")
    assert entry["outcome"] == "success" and entry["actor"] == "demo-agent"
    assert entry["ticket_id"] == "T-1050" and entry["reason"] == "Phone stolen; only factor"
    assert json.loads(entry["verification"]) == ["account_owner_callback", "email_code"]


async def test_a_reset_with_two_weak_checks_is_refused_and_recorded(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    with pytest.raises(InvalidInput, match="at least one strong"):
        await agent.recover(
            Action.RESET_MFA,
            "u1008",
            ticket_id="T-1050",
            reason="Phone stolen",
            checks=["email_origin", "last_signin_location"],
        )
    assert (await agent.get_user("u1008")).mfa_status == "active"
    [entry] = await audit_rows(ctx, action="mfa.reset", user="u1008")
    assert entry["outcome"] == "refused"
    assert (entry["ticket_id"], entry["reason"]) == ("T-1050", "Phone stolen")
    assert json.loads(entry["verification"]) == ["email_origin", "last_signin_location"]
    assert json.loads(entry["detail"])["refusal"] == "verification_required"


async def test_strong_checks_count_only_when_the_service_checked_the_code(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    with pytest.raises(InvalidInput, match="counts only when the service checked the code"):
        await agent.recover(
            Action.RESET_MFA,
            "u1008",
            ticket_id="T-1050",
            reason="Phone stolen",
            checks=["email_code", "account_owner_callback"],
        )
    assert (await agent.get_user("u1008")).factors


async def test_a_ticket_about_someone_else_justifies_nothing(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    verified = await email_verification(agent, ctx, "u1008", "T-1050")
    with pytest.raises(InvalidInput, match="about another user") as refused:
        await agent.recover(
            Action.RESET_MFA,
            "u1008",
            ticket_id="T-1049",
            reason="Phone stolen",
            checks=CALLBACK,
            verification_ids=[verified],
        )
    assert refused.value.field == "ticket_id"
    assert (await agent.get_user("u1008")).mfa_status == "active"


async def test_another_agents_verification_does_not_count(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    verified = await email_verification(agent, ctx, "u1008", "T-1050")
    other = await second_client(ctx, "demo-agent2")
    async with other:
        with pytest.raises(InvalidInput, match="not one of yours"):
            await other.recover(
                Action.RESET_MFA,
                "u1008",
                ticket_id="T-1050",
                reason="Phone stolen",
                checks=CALLBACK,
                verification_ids=[verified],
            )


async def test_a_verification_lapses_after_half_an_hour(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    verified = await email_verification(agent, ctx, "u1008", "T-1050")
    ctx.clock.advance(timedelta(minutes=25))
    await agent.me()  # stay signed in: the desk's idle limit is shorter than this wait
    ctx.clock.advance(timedelta(minutes=5))
    with pytest.raises(InvalidInput, match="challenge the user again"):
        await agent.recover(
            Action.RESET_MFA,
            "u1008",
            ticket_id="T-1050",
            reason="Phone stolen",
            checks=CALLBACK,
            verification_ids=[verified],
        )


# -- challenges --------------------------------------------------------------------------------


async def test_a_totp_challenge_reads_the_users_app_and_spends_the_code(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    sent = await agent.send_challenge("u1009", ticket_id="T-1053", channel="totp", factor_id=None)
    assert sent.check == "factor_challenge"
    assert "read you the current 6-digit code" in sent.instructions
    code = await factor_code(ctx, "u1009-f1")
    answered = await agent.answer_challenge(sent.id, code)
    assert answered.check == "factor_challenge"
    # The same code cannot sign anyone in afterwards.
    started = await enduser_sign_in(agent, ctx, "u1009")
    with pytest.raises(Unauthorised):
        await agent.enduser_verify(started.challenge_id, "totp", code)


async def test_an_sms_challenge_goes_out_through_the_sms_gateway(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    """T-1053: Sophie has a mobile on file besides the app; the code goes by text."""
    sent = await agent.send_challenge("u1009", ticket_id="T-1053", channel="sms")
    assert sent.destination == "SMS 'Mobile' (+1 •••-•••-0111)"
    async with ctx.engine.connect() as conn:
        number = (
            await conn.execute(select(factors.c.phone_e164).where(factors.c.id == "u1009-f2"))
        ).scalar_one()
    async with ctx.engine.connect() as conn:
        [text] = (
            await conn.execute(
                select(message_outbox.c.body)
                .where(message_outbox.c.channel == "sms")
                .where(message_outbox.c.recipient == number)
            )
        ).scalars()
    code = re.search(r"\b(\d{6})\b", text)
    assert code is not None and "Read it to the support agent" in text
    answered = await agent.answer_challenge(sent.id, code.group(1))
    assert answered.check == "factor_challenge"


async def test_an_sms_challenge_the_provider_refuses_is_dead_and_recorded(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    """T-1043: a Brazilian mobile; Brazil is not on the article's SMS list."""
    with pytest.raises(Conflict, match="could not be sent"):
        await agent.send_challenge("u1027", ticket_id="T-1043", channel="sms")
    outcomes = [r["outcome"] for r in await audit_rows(ctx, action="recovery.challenge")]
    assert outcomes == ["sent", "failed"]
    async with ctx.engine.connect() as conn:
        kept = (await conn.execute(select(message_outbox.c.id))).scalars().all()
    assert not kept, "a text the carrier refused never reaches the user's phone"


async def test_wrong_answers_are_counted_and_the_fifth_kills_the_challenge(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    sent = await agent.send_challenge("u1008", ticket_id="T-1050", channel="email", factor_id=None)
    assert sent.destination == "e-mail a•••@cascadefreight.example"
    for left in (4, 3, 2, 1):
        with pytest.raises(InvalidInput, match=f"{left} attempts? left"):
            await agent.answer_challenge(sent.id, "000000")
    with pytest.raises(InvalidInput, match="used up"):
        await agent.answer_challenge(sent.id, "000000")
    with pytest.raises(Conflict, match="finished"):
        await agent.answer_challenge(sent.id, "000000")
    outcomes = [r["outcome"] for r in await audit_rows(ctx, action="recovery.challenge.answer")]
    assert outcomes == ["failed"] * 5 + ["refused"]


async def test_codes_to_one_user_are_rate_limited(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    from supportdesk.api.errors import RateLimited

    await agent.send_challenge("u1008", ticket_id="T-1050", channel="email", factor_id=None)
    with pytest.raises(RateLimited) as limited:
        await agent.send_challenge("u1008", ticket_id="T-1050", channel="email", factor_id=None)
    assert 1 <= limited.value.retry_after_s <= 31


async def test_a_challenge_to_the_lost_factor_does_not_prove_who_asks_to_remove_it(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    sent = await agent.send_challenge(
        "u1007", ticket_id="T-1049", channel="totp", factor_id="u1007-f1"
    )
    verified = await agent.answer_challenge(sent.id, await factor_code(ctx, "u1007-f1"))
    with pytest.raises(InvalidInput, match="factor being removed as lost"):
        await agent.recover(
            Action.REMOVE_FACTOR,
            "u1007",
            factor_id="u1007-f1",
            ticket_id="T-1049",
            reason="Phone lost",
            verification_ids=[verified.id],
        )


# -- remove one factor -------------------------------------------------------------------------


async def test_removing_the_lost_phone_leaves_the_security_key(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    """T-1049: the authenticator phone is lost; the YubiKey on the keyring still works."""
    verified = await email_verification(agent, ctx, "u1007", "T-1049")
    result = await agent.recover(
        Action.REMOVE_FACTOR,
        "u1007",
        factor_id="u1007-f1",
        ticket_id="T-1049",
        reason="Phone lost at a truck stop",
        verification_ids=[verified],
    )
    assert result.status == "done"
    assert result.summary == (
        "Removed Authenticator app 'Google Authenticator (Pixel)'. "
        "Brian Nguyen still has: Security key 'Keyring key'."
    )
    started = await enduser_sign_in(agent, ctx, "u1007")
    assert started.status == "mfa_required" and started.methods == ["security_key"]
    [entry] = await audit_rows(ctx, action="factor.remove", user="u1007")
    assert entry["outcome"] == "success"
    assert json.loads(entry["detail"])["factor_id"] == "u1007-f1"


async def test_removing_the_only_factor_is_refused_pointing_to_a_reset(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    verified = await email_verification(agent, ctx, "u1008", "T-1050")
    with pytest.raises(Conflict, match="reset MFA instead") as refused:
        await agent.recover(
            Action.REMOVE_FACTOR,
            "u1008",
            factor_id="u1008-f1",
            ticket_id="T-1050",
            reason="Phone stolen",
            verification_ids=[verified],
        )
    assert refused.value.code == "no_other_factor"
    assert [e["outcome"] for e in await audit_rows(ctx, action="factor.remove")] == ["refused"]


# -- one-time access codes ---------------------------------------------------------------------


async def issue_code(agent: SupportDeskClient, ctx: ServiceContext, key: str | None = None) -> str:
    """T-1051: the lost YubiKey was the only factor."""
    verified = await email_verification(agent, ctx, "u1037", "T-1051")
    result = await agent.recover(
        Action.ISSUE_ACCESS_CODE,
        "u1037",
        ticket_id="T-1051",
        reason="Lost the only YubiKey; new one from IT",
        checks=CALLBACK,
        verification_ids=[verified],
        idempotency_key=key,
    )
    assert result.status == "done" and result.access_code is not None
    assert result.access_code_expires_at == ctx.clock.now() + timedelta(hours=1)
    return result.access_code


async def test_an_access_code_works_once_and_never_again(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    code = await issue_code(agent, ctx)
    first = await enduser_sign_in(agent, ctx, "u1037")
    assert (await agent.enduser_verify(first.challenge_id, "access_code", code)).status == (
        "enrol_only"
    )
    again = await enduser_sign_in(agent, ctx, "u1037")
    with pytest.raises(Unauthorised):
        await agent.enduser_verify(again.challenge_id, "access_code", code)


async def test_an_access_code_does_not_work_after_expiry(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    code = await issue_code(agent, ctx)
    ctx.clock.advance(timedelta(seconds=ctx.settings.access_code_s + 1))
    started = await enduser_sign_in(agent, ctx, "u1037")
    with pytest.raises(Unauthorised):
        await agent.enduser_verify(started.challenge_id, "access_code", code)


async def test_a_new_access_code_replaces_the_old_one(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    old = await issue_code(agent, ctx)
    ctx.clock.advance(timedelta(seconds=31))  # one code every 30 s to the user's mailbox
    new = await issue_code(agent, ctx)
    started = await enduser_sign_in(agent, ctx, "u1037")
    with pytest.raises(Unauthorised):
        await agent.enduser_verify(started.challenge_id, "access_code", old)
    assert (await agent.enduser_verify(started.challenge_id, "access_code", new)).status == (
        "enrol_only"
    )


async def test_an_access_code_is_kept_nowhere_in_clear(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    """Shown once to the agent; the store holds only its keyed hash (idempotency rows too)."""
    code = await issue_code(agent, ctx, key="access-code-once-1")
    wanted = {code, normalise_access_code(code)}
    found: list[str] = []
    reflected = MetaData()
    async with ctx.engine.connect() as conn:
        await conn.run_sync(reflected.reflect)
        for table in reflected.tables.values():
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in await conn.execute(select(*columns)):
                texts = [v for v in row if isinstance(v, str)]
                found += [table.name for v in texts if any(w in v for w in wanted)]
    assert "idempotency_keys" in reflected.tables and "access_codes" in reflected.tables
    assert found == []


# -- service accounts --------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["demo-agent", "demo-lead"])
async def test_a_service_account_cannot_be_reset_the_answer_is_the_articles(
    client: SupportDeskClient, ctx: ServiceContext, username: str
) -> None:
    """T-1058: the ELD integration account; nobody can type a code at 3 a.m."""
    await sign_in_as(client, ctx, username)
    for action in (Action.RESET_MFA, Action.ISSUE_ACCESS_CODE):
        with pytest.raises(Forbidden) as refused:
            await client.recover(
                action,
                "u1033",
                ticket_id="T-1058",
                reason="Integration blocked by MFA",
                checks=["account_owner_callback", "email_origin"],
            )
        assert refused.value.code == "service_account"
        assert SERVICE_ACCOUNT_GUIDANCE in refused.value.message
    entries = await audit_rows(ctx, user="u1033")
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("mfa.reset", "refused"),
        ("access_code.issue", "refused"),
    ]
    assert (await client.get_user("u1033")).mfa_status == "setup_required"
