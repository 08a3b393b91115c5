"""Resending an SMS code: the fix must take effect on the user's next sign-in, inside the
provider's limits, never to a number that cannot get it, and always on the record."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from pydantic import BaseModel
from sqlalchemy import select

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import InvalidInput, RateLimited, Unauthorised
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.schema import message_outbox, sms_codes
from tests.service.support import TYLER, TYLER_EMAIL, TYLER_PHONE, sms_audit_rows
from tests.support import sign_in_as


async def texts_to(ctx: ServiceContext, e164: str | None = None) -> list[str]:
    """Texts the demo phones received (to one number, or to any), oldest first."""
    query = select(message_outbox.c.body).where(message_outbox.c.channel == "sms")
    if e164 is not None:
        query = query.where(message_outbox.c.recipient == e164)
    async with ctx.engine.connect() as conn:
        return list((await conn.execute(query.order_by(message_outbox.c.id))).scalars())


async def last_code(ctx: ServiceContext, e164: str) -> str:
    """The code in the latest text to this number, read as the user's phone would."""
    texts = await texts_to(ctx, e164)
    assert texts, f"nothing was texted to {e164}"
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found is not None
    return found.group(1)


def without_times(model: BaseModel) -> str:
    """The model as JSON minus its timestamps (whose digits could look like a code)."""

    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not isinstance(v, datetime)}
        return value

    return json.dumps(strip(model.model_dump()), default=str)


async def tyler_signs_in_with(client: SupportDeskClient, code: str) -> str:
    """Tyler's own sign-in: password, then the SMS code; the resulting status."""
    started = await client.enduser_sign_in(TYLER_EMAIL, "demo")
    assert started.methods == ["sms"]
    return (await client.enduser_verify(started.challenge_id, "sms", code)).status


async def test_after_a_resend_the_new_code_signs_in_and_the_previous_is_refused(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    first = await client.resend_sms_code(TYLER, ticket_id="T-1042")
    old_code = await last_code(ctx, TYLER_PHONE)
    assert first.delivery.status == "queued"
    assert first.delivery.phone_masked == "+1 •••-•••-0162"
    assert first.code_expires_at == ctx.clock.now() + timedelta(minutes=5)
    assert old_code not in without_times(first)

    ctx.clock.advance(timedelta(seconds=30))
    await client.resend_sms_code(TYLER, ticket_id="T-1042")
    new_code = await last_code(ctx, TYLER_PHONE)
    assert len(await texts_to(ctx, TYLER_PHONE)) == 2

    with pytest.raises(Unauthorised, match="not accepted"):
        await tyler_signs_in_with(client, old_code)
    assert await tyler_signs_in_with(client, new_code) == "signed_in"
    with pytest.raises(Unauthorised):
        await tyler_signs_in_with(client, new_code)  # spent


async def test_only_a_keyed_hash_of_the_code_is_stored_and_it_dies_after_five_minutes(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await client.resend_sms_code(TYLER, ticket_id="T-1042")
    code = await last_code(ctx, TYLER_PHONE)
    async with ctx.engine.connect() as conn:
        stored = [r._mapping for r in await conn.execute(select(sms_codes))]
    assert len(stored) == 1
    assert code not in stored[0]["code_hash"]
    assert len(stored[0]["code_hash"]) == 64
    ctx.clock.advance(timedelta(minutes=5, seconds=1))
    with pytest.raises(Unauthorised):
        await tyler_signs_in_with(client, code)


async def test_a_resend_inside_the_limits_answers_429_with_the_wait(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    sent = await client.resend_sms_code(TYLER, ticket_id="T-1042")
    assert sent.next_send_in_s == 30
    ctx.clock.advance(timedelta(seconds=10))
    with pytest.raises(RateLimited) as refused:
        await client.resend_sms_code(TYLER, ticket_id="T-1042")
    assert refused.value.retry_after_s == 20
    assert "one code every 30 s" in refused.value.message
    assert (await client.sms_overview(TYLER)).next_send_in_s == 20
    assert len(await texts_to(ctx, TYLER_PHONE)) == 1

    # Four more, 30 s apart, make five in the hour: the sixth waits for the first to age out.
    for _ in range(4):
        ctx.clock.advance(timedelta(seconds=30))
        await client.resend_sms_code(TYLER, ticket_id="T-1042")
    ctx.clock.advance(timedelta(seconds=30))
    with pytest.raises(RateLimited) as hourly:
        await client.resend_sms_code(TYLER, ticket_id="T-1042")
    assert "5 codes an hour" in hourly.value.message
    assert hourly.value.retry_after_s == 3600 - 160  # the first code of the hour ages out

    outcomes = [r["outcome"] for r in await sms_audit_rows(ctx, TYLER)]
    assert outcomes.count("rate_limited") == 2
    assert outcomes.count("queued") == 5


@pytest.mark.parametrize(
    ("user_id", "words"),
    [
        ("u1027", "Brazil"),  # T-1043: a Brazilian mobile, country off the list
        ("u1015", "Isle of Man"),  # T-1044: +44 7624 is not the United Kingdom
        ("u1028", "Dominican Republic"),  # T-1046: +1 809 is not the United States
        ("u1013", "a landline"),  # T-1045: an office desk phone
    ],
)
async def test_numbers_that_cannot_get_a_text_are_refused_before_sending(
    client: SupportDeskClient, ctx: ServiceContext, user_id: str, words: str
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    overview = await client.sms_overview(user_id)
    [factor] = overview.factors
    assert not factor.can_send
    assert factor.refusal is not None and words.lower() in factor.refusal.lower()

    with pytest.raises(InvalidInput) as refused:
        await client.resend_sms_code(user_id)
    assert words.lower() in refused.value.message.lower()
    assert "authenticator app" in refused.value.message
    assert not await texts_to(ctx)
    [entry] = await sms_audit_rows(ctx, user_id)
    assert (entry["action"], entry["outcome"]) == ("sms.resend", "refused")
    assert await client.sms_deliveries(user_id) == []


async def test_a_resend_is_audited_with_the_ticket_and_without_the_number(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await client.resend_sms_code(TYLER, ticket_id="T-1042", reason="user says nothing arrives")
    [entry] = await sms_audit_rows(ctx, TYLER)
    assert entry["action"] == "sms.resend"
    assert entry["actor"] == "demo-agent"
    assert entry["ticket_id"] == "T-1042"
    assert entry["reason"] == "user says nothing arrives"
    detail = json.loads(entry["detail"])
    assert detail["phone"] == "+1 •••-•••-0162"
    assert detail["gateway"] == "simulated"
    assert "5055550162" not in entry["detail"]


async def test_a_ticket_of_another_user_is_refused(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    with pytest.raises(InvalidInput) as refused:
        await client.resend_sms_code(TYLER, ticket_id="T-1043")
    assert refused.value.field == "ticket_id"
    assert not await texts_to(ctx)


async def test_the_end_user_can_ask_for_a_code_on_the_sign_in_page(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    started = await client.enduser_sign_in(TYLER_EMAIL, "demo")
    sent = await client.enduser_send_sms(started.challenge_id)
    assert sent.phone_masked == "+1 •••-•••-0162"
    assert sent.status == "queued"
    code = await last_code(ctx, TYLER_PHONE)
    assert code not in without_times(sent)
    # The same provider limits hold, whoever asks.
    with pytest.raises(RateLimited):
        await client.enduser_send_sms(started.challenge_id)
    verified = await client.enduser_verify(started.challenge_id, "sms", code)
    assert verified.status == "signed_in"
    entries = await sms_audit_rows(ctx, TYLER)
    assert [(e["actor"], e["actor_role"], e["action"], e["outcome"]) for e in entries] == [
        (TYLER, "enduser", "sms.send", "queued"),
        (TYLER, "enduser", "sms.send", "rate_limited"),
    ]
    with pytest.raises(Unauthorised, match="expired"):
        await client.enduser_send_sms(started.challenge_id)  # the challenge is spent


async def test_resend_log_and_sign_in_on_each_store(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    """The whole fix on SQLite and PostgreSQL: limits, rotation, the log advancing."""
    await sign_in_as(any_client, any_ctx, "demo-agent")
    await any_client.resend_sms_code(TYLER, ticket_id="T-1042")
    old_code = await last_code(any_ctx, TYLER_PHONE)
    with pytest.raises(RateLimited) as refused:
        await any_client.resend_sms_code(TYLER, ticket_id="T-1042")
    assert refused.value.retry_after_s == 30
    any_ctx.clock.advance(timedelta(seconds=30))
    await any_client.resend_sms_code(TYLER, ticket_id="T-1042")
    new_code = await last_code(any_ctx, TYLER_PHONE)
    any_ctx.clock.advance(timedelta(seconds=80))
    assert [d.status for d in await any_client.sms_deliveries(TYLER)] == [
        "delivered",
        "delivered",
    ]
    with pytest.raises(Unauthorised):
        await tyler_signs_in_with(any_client, old_code)
    assert await tyler_signs_in_with(any_client, new_code) == "signed_in"
    outcomes = [r["outcome"] for r in await sms_audit_rows(any_ctx, TYLER)]
    assert outcomes == ["queued", "rate_limited", "queued"]
