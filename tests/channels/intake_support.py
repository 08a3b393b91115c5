"""Helpers for the intake and delivery tests: signed messenger events, audit reads."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import func, select

from supportdesk.service.channels.messenger.signing import signature
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.engine import reading
from supportdesk.service.store.schema import audit_log, tickets, users
from supportdesk.service.store.schema_intake import intake_keys, ticket_messages

SECRET = "whsec-test-0123456789abcdef"


def native_event(
    event_id: str,
    conversation_id: str,
    text: str,
    *,
    email: str | None = None,
    user_id: str | None = None,
    name: str | None = None,
) -> bytes:
    """Our documented webhook shape, as the messenger sends it."""
    user: dict[str, Any] = {
        k: v for k, v in (("id", user_id), ("email", email), ("name", name)) if v
    }
    return json.dumps(
        {
            "event_id": event_id,
            "type": "message.created",
            "occurred_at": "2026-11-27T15:42:00Z",
            "conversation_id": conversation_id,
            "user": user,
            "text": text,
        }
    ).encode()


def chatwoot_event(
    message_id: int,
    conversation: int,
    text: str,
    *,
    email: str | None = None,
    message_type: str = "incoming",
) -> bytes:
    """A Chatwoot message_created delivery (the documented sample's fields)."""
    sender_type = "contact" if message_type == "incoming" else "user"
    return json.dumps(
        {
            "event": "message_created",
            "id": message_id,
            "content": text,
            "created_at": "2026-11-27T15:41:58.000Z",
            "message_type": message_type,
            "content_type": "text",
            "private": False,
            "sender": {"id": 14, "name": "Tyler Brooks", "type": sender_type},
            "conversation": {
                "id": conversation + 1000,
                "display_id": conversation,
                "meta": {
                    "sender": {"id": 14, "email": email, "name": "Tyler Brooks", "type": "contact"}
                },
            },
            "account": {"id": 3, "name": "Alvys"},
        }
    ).encode()


def chatwoot_headers(body: bytes, stamp: int, secret: str = SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Chatwoot-Timestamp": str(stamp),
        "X-Chatwoot-Signature": "sha256=" + signature(secret, stamp, body),
        "X-Chatwoot-Delivery": f"delivery-{stamp}",
    }


async def audit_actions(ctx: ServiceContext, ticket_id: str) -> list[str]:
    """The audit actions written about a ticket, in order."""
    async with reading(ctx.engine) as conn:
        rows = await conn.execute(
            select(audit_log.c.action)
            .where(audit_log.c.ticket_id == ticket_id)
            .order_by(audit_log.c.seq)
        )
        return [str(r.action) for r in rows]


T = TypeVar("T")
DEADLINE_S = float(os.environ.get("SUPPORTDESK_TEST_DEADLINE_S", "30"))
"""A wait's deadline: seconds for the real servers, more on a loaded machine."""


async def eventually(
    probe: Callable[[], Awaitable[T | None]], what: str, deadline_s: float = DEADLINE_S
) -> T:
    """Ask ``probe`` until it answers something (not None); fail naming ``what``."""
    end = time.monotonic() + deadline_s
    while True:
        found = await probe()
        if found is not None:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {deadline_s} s")
        await asyncio.sleep(0.05)


async def use_mailbox_as(ctx: ServiceContext, user_id: str, address: str) -> None:
    """Give a demo user a test mailbox's address, so their mail matches them."""
    async with ctx.engine.begin() as conn:
        await conn.execute(users.update().where(users.c.id == user_id).values(email=address))


async def intake_counts(ctx: ServiceContext) -> tuple[int, int, int]:
    """(taken keys, tickets with a conversation, inbound messages) in the store."""
    async with reading(ctx.engine) as conn:
        keys = (await conn.execute(select(func.count()).select_from(intake_keys))).scalar_one()
        made = (
            await conn.execute(
                select(func.count()).select_from(tickets).where(tickets.c.sender.is_not(None))
            )
        ).scalar_one()
        inbound = (
            await conn.execute(
                select(func.count())
                .select_from(ticket_messages)
                .where(ticket_messages.c.direction == "in")
            )
        ).scalar_one()
    return int(keys), int(made), int(inbound)
