"""Replies to the user: stored with the ticket, audited without their words, refused when
they carry a code, a seed or a full number — on both stores."""

from __future__ import annotations

import json

import pytest

from supportdesk.api import errors
from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from tests.service.support import audit_rows
from tests.support import sign_in_as

REPLY = "Hi Ana, yes: Bitwarden can hold your authenticator codes. See the steps below."


@pytest.fixture(autouse=True)
async def _signed_in(any_client: SupportDeskClient, any_ctx: ServiceContext) -> None:
    await sign_in_as(any_client, any_ctx, "demo-agent")


async def test_resolving_with_a_reply_stores_it_on_the_ticket_and_audits_it(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    ticket = await any_client.resolve_ticket(
        "T-1060", "no_action_needed", "answered the question", reply=f"  {REPLY}\n"
    )
    assert ticket.status == "resolved"
    [reply] = ticket.replies
    assert (reply.body, reply.author, reply.delivery_state) == (REPLY, "demo-agent", "recorded")
    assert (await any_client.get_ticket("T-1060")).replies == [reply]
    [entry] = await audit_rows(any_ctx, action="ticket.reply")
    assert entry["ticket_id"] == "T-1060" and entry["actor"] == "demo-agent"
    detail = json.loads(entry["detail"])
    assert detail == {"reply_id": reply.id, "length": len(REPLY), "delivery": "recorded"}
    assert REPLY not in (entry["reason"] or "") + entry["detail"]
    [resolved] = await audit_rows(any_ctx, action="ticket.resolve")
    assert resolved["seq"] + 1 == entry["seq"]  # one transaction, one after the other


async def test_a_reply_with_a_code_refuses_the_resolution_and_changes_nothing(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    with pytest.raises(errors.InvalidInput, match="one-time code") as refused:
        await any_client.resolve_ticket(
            "T-1060", "no_action_needed", "answered", reply="Your code is 482913, use it now."
        )
    assert refused.value.field == "reply"
    assert "482913" not in refused.value.message
    ticket = await any_client.get_ticket("T-1060")
    assert ticket.status == "open" and ticket.replies == []
    assert await audit_rows(any_ctx, action="ticket.resolve") == []
    assert await audit_rows(any_ctx, action="ticket.reply") == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("Your new secret is JBSW Y3DP EHPK 3PXP JBSW Y3DP", "secret key"),
        ("We will call you on +44 7700 900123 today.", "full phone number"),
    ],
)
async def test_replies_along_the_way_are_checked_too(
    any_client: SupportDeskClient, body: str, words: str
) -> None:
    with pytest.raises(errors.InvalidInput, match=words):
        await any_client.add_reply("T-1042", body)
    assert (await any_client.get_ticket("T-1042")).replies == []


async def test_a_reply_along_the_way_leaves_the_ticket_open_and_is_stored_once_per_key(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    first = await any_client.add_reply(
        "T-1042", "Looking into it now.", idempotency_key="reply-key-0001"
    )
    again = await any_client.add_reply(
        "T-1042", "Looking into it now.", idempotency_key="reply-key-0001"
    )
    assert first.status == again.status == "open"
    assert [r.body for r in again.replies] == ["Looking into it now."]
    later = await any_client.add_reply("T-1042", "Masked number •••• 0123 is the one on file.")
    assert [r.body for r in later.replies] == [
        "Looking into it now.",
        "Masked number •••• 0123 is the one on file.",
    ]
    assert len(await audit_rows(any_ctx, action="ticket.reply")) == 2
    with pytest.raises(errors.Conflict, match="another ticket"):
        await any_client.add_reply(
            "T-1043", "Looking into it now.", idempotency_key="reply-key-0001"
        )


async def test_blank_replies_and_unknown_tickets_are_refused_with_a_message(
    any_client: SupportDeskClient,
) -> None:
    with pytest.raises(errors.InvalidInput, match="empty"):
        await any_client.add_reply("T-1042", "   ")
    with pytest.raises(errors.NotFound, match="no ticket"):
        await any_client.add_reply("T-0000", "hello")
