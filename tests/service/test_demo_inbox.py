"""The demo inbox: what the simulated gateways delivered lands in `message_outbox`, as the
demo user's own phone and mailbox; a real SMS provider's texts are never kept."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import RowMapping, select

from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.phone import read_demo_inbox
from supportdesk.service.sms import OutgoingSms, SendReceipt
from supportdesk.service.sms.gateway import DeliveryState
from supportdesk.service.store.schema import message_outbox
from tests.support import sign_in_as

TYLER = "u1002"  # T-1042: SMS only, a carrier that holds texts for 75 s
TYLER_PHONE = "+15055550162"


async def inbox_rows(ctx: ServiceContext, user_id: str) -> list[RowMapping]:
    async with ctx.engine.connect() as conn:
        rows = await conn.execute(
            select(message_outbox)
            .where(message_outbox.c.user_id == user_id)
            .order_by(message_outbox.c.id)
        )
        return [r._mapping for r in rows]


def code_in(body: str) -> str:
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None, body
    return found.group(1)


async def test_a_resent_code_lands_on_the_users_phone_and_signs_in(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await client.resend_sms_code(TYLER, ticket_id="T-1042")
    [text] = await inbox_rows(ctx, TYLER)
    assert (text["channel"], text["recipient"], text["subject"]) == ("sms", TYLER_PHONE, "")
    assert text["created_at"] == ctx.clock.now()
    assert "is your Alvys verification code" in text["body"]

    started = await client.enduser_sign_in("tyler.brooks@redmesafreight.example", "demo")
    verified = await client.enduser_verify(started.challenge_id, "sms", code_in(text["body"]))
    assert verified.status == "signed_in"


async def test_challenge_codes_land_by_text_and_by_e_mail(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    by_text = await client.send_challenge("u1009", ticket_id="T-1053", channel="sms")
    ctx.clock.advance(timedelta(seconds=30))  # one code every 30 s to one user
    by_mail = await client.send_challenge("u1009", ticket_id="T-1053", channel="email")
    text, mail = await inbox_rows(ctx, "u1009")
    assert (text["channel"], text["recipient"]) == ("sms", "+14165550111")
    assert (mail["channel"], mail["recipient"]) == (
        "email",
        "sophie.tremblay@maplecorridor.example",
    )
    assert mail["subject"] == "Your Alvys support verification code"
    assert (await client.answer_challenge(by_text.id, code_in(text["body"]))).check
    assert (await client.answer_challenge(by_mail.id, code_in(mail["body"]))).check


class AcceptingProvider:
    """A real provider as the service sees one: it takes the text and keeps it to itself."""

    name = "http"

    def __init__(self) -> None:
        self.seen: list[OutgoingSms] = []

    async def send(self, message: OutgoingSms, now: datetime) -> SendReceipt:
        self.seen.append(message)
        return SendReceipt("REF1", DeliveryState("queued", at=now))

    async def poll(self, provider_ref: str, to_e164: str, sent_at: datetime, now: datetime) -> None:
        return None


async def test_texts_through_a_real_provider_are_not_kept(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    provider = AcceptingProvider()
    ctx.sms_gateway = provider
    await sign_in_as(client, ctx, "demo-agent")
    await client.resend_sms_code(TYLER, ticket_id="T-1042")
    await client.send_challenge("u1009", ticket_id="T-1053", channel="sms")
    assert len(provider.seen) == 2
    assert await inbox_rows(ctx, TYLER) == []
    assert await inbox_rows(ctx, "u1009") == []


async def test_the_demo_phone_lists_the_latest_three_newest_first_with_their_state(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    for _ in range(4):
        await client.resend_sms_code(TYLER, ticket_id="T-1042")
        ctx.clock.advance(timedelta(seconds=30))
    bodies = [r["body"] for r in await inbox_rows(ctx, TYLER)]
    inbox = await read_demo_inbox(ctx.engine, "Tyler Brooks", ctx.clock.now())
    assert inbox is not None and inbox.user_id == TYLER and inbox.emails == ()
    assert [t.body for t in inbox.texts] == bodies[::-1][:3]
    assert {t.recipient_masked for t in inbox.texts} == {"+1 •••-•••-0162"}
    # Tyler's carrier holds each text 75 s: the newest two are not on his phone yet.
    assert [t.status for t in inbox.texts] == ["sent", "sent", "delivered"]
    assert [t.arrived for t in inbox.texts] == [False, False, True]


async def test_an_agents_phone_has_no_inbox_and_a_filtered_text_never_arrives(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    assert await read_demo_inbox(ctx.engine, "demo-agent", ctx.clock.now()) is None
    await sign_in_as(client, ctx, "demo-agent")
    await client.resend_sms_code("u1010")  # Harpreet Gill's backup cell: the spam filter
    ctx.clock.advance(timedelta(seconds=10))
    inbox = await read_demo_inbox(ctx.engine, "u1010", ctx.clock.now())
    assert inbox is not None
    [text] = inbox.texts
    assert (text.status, text.reason) == ("undelivered", "Message filtered by the carrier")
