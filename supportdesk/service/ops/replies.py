"""Replies to the user: checked, stored with the ticket and audited in one transaction.

`record_reply` is the one way a reply is written. It runs inside the caller's
transaction (resolving a ticket stores its reply in the same one), so the reply, its
audit entry and the change it goes with commit together or not at all. Delivery back
through the ticket's channel builds on it: a reply starts "recorded" when there is
nowhere to send it (demo and seeded tickets), and a channel moves it on to "queued",
"sent" or "failed" with `set_delivery`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.reply_check import check_reply
from supportdesk.service.audit import Actor, record
from supportdesk.service.audit import entries as audit
from supportdesk.service.errors import Conflict, InvalidInput
from supportdesk.service.store import tickets

RECORDED: Final = "recorded"
"""Stored with the ticket, with nowhere to send it (a demo or seeded ticket)."""
QUEUED: Final = "queued"
SENT: Final = "sent"
FAILED: Final = "failed"
DELIVERY_STATES: Final = (RECORDED, QUEUED, SENT, FAILED)


@dataclass(frozen=True, slots=True)
class RecordedReply:
    id: int
    created: bool
    """False when the idempotency key was seen before: the first reply stands."""
    delivery_state: str


def checked_reply(body: str, *, field: str = "reply") -> str:
    """The reply without surrounding blanks, or a 422 naming what must not be sent.

    The messages never repeat the offending value, so they are safe to show and log.
    """
    text = body.strip()
    if not text:
        raise InvalidInput("the reply is empty", field=field)
    problems = check_reply(text)
    if problems:
        said: list[str] = []
        for problem in problems:
            if problem.message not in said:
                said.append(problem.message)
        raise InvalidInput("Not sent: " + " ".join(said), field=field)
    return text


def new_reply_key() -> str:
    return f"reply-{uuid.uuid4().hex}"


async def record_reply(
    conn: AsyncConnection,
    *,
    actor: Actor,
    ticket_id: str,
    user_id: str | None,
    body: str,
    at: datetime,
    idempotency_key: str | None = None,
    delivery_state: str = RECORDED,
    delivery_detail: str | None = None,
    request_id: str | None = None,
) -> RecordedReply:
    """Store one reply and its audit entry in the caller's transaction.

    The body is checked here too (a caller cannot skip it). A key seen before on the
    same ticket answers with that reply and writes nothing; on another ticket it is a
    conflict. The audit entry keeps the reply's id and length, not its words.
    """
    text = checked_reply(body)
    if delivery_state not in DELIVERY_STATES:
        raise ValueError(f"unknown delivery state {delivery_state!r}")
    key = idempotency_key or new_reply_key()
    existing = await tickets.reply_by_key(conn, key)
    if existing is None:
        try:
            async with conn.begin_nested():
                reply_id = await tickets.add_reply(
                    conn,
                    ticket_id,
                    author=actor.name,
                    body=text,
                    at=at,
                    delivery_state=delivery_state,
                    delivery_detail=delivery_detail,
                    idempotency_key=key,
                )
        except IntegrityError:  # the same key, committed by a concurrent request
            existing = await tickets.reply_by_key(conn, key)
            if existing is None:
                raise
        else:
            entry = audit.ticket_reply(
                actor,
                ticket_id=ticket_id,
                user_id=user_id,
                reply_id=reply_id,
                length=len(text),
                delivery=delivery_state,
            )
            await record(conn, entry, at=at, request_id=request_id)
            return RecordedReply(id=reply_id, created=True, delivery_state=delivery_state)
    if existing["ticket_id"] != ticket_id:
        raise Conflict("this reply key was already used on another ticket", field="idempotency_key")
    return RecordedReply(
        id=int(existing["id"]), created=False, delivery_state=str(existing["delivery_state"])
    )


async def set_delivery(
    conn: AsyncConnection, reply_id: int, *, state: str, detail: str | None = None
) -> None:
    """Move a reply on ("queued", "sent", "failed" with the reason in `detail`)."""
    if state not in DELIVERY_STATES:
        raise ValueError(f"unknown delivery state {state!r}")
    await tickets.set_reply_delivery(conn, reply_id, state=state, detail=detail)
