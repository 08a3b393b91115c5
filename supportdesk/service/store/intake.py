"""The intake's rows: taken keys, new tickets and their messages, the mailbox checkpoint."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import meta, tickets
from supportdesk.service.store.schema_intake import intake_keys, mail_checkpoints, ticket_messages

_NEXT_NUMBER = "next_ticket_number"
FIRST_NUMBER = 2000
"""New tickets are numbered from here (or after the highest number already in the store)."""


async def key_taken(conn: AsyncConnection, key: str) -> RowMapping | None:
    row = (await conn.execute(select(intake_keys).where(intake_keys.c.key == key))).first()
    return row._mapping if row is not None else None


async def take_key(
    conn: AsyncConnection, key: str, *, ticket_id: str | None, outcome: str, at: datetime
) -> None:
    """Mark a key taken; a second writer of the same key fails on the primary key."""
    await conn.execute(
        intake_keys.insert().values(key=key, ticket_id=ticket_id, outcome=outcome, at=at)
    )


async def next_ticket_id(conn: AsyncConnection) -> str:
    """The next "T-<n>", spent in the caller's write transaction.

    SQLite's write transactions already queue; on PostgreSQL an advisory lock makes two
    intakes wait for each other rather than pick the same number.
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('ticket_numbers'))"))
    found = (
        await conn.execute(select(meta.c.value).where(meta.c.key == _NEXT_NUMBER))
    ).scalar_one_or_none()
    if found is None:
        ids = (await conn.execute(select(tickets.c.id).where(tickets.c.id.like("T-%")))).scalars()
        numbers = [int(i[2:]) for i in ids if i[2:].isdigit()]
        number = max([FIRST_NUMBER - 1, *numbers]) + 1
        await conn.execute(meta.insert().values(key=_NEXT_NUMBER, value=str(number + 1)))
    else:
        number = int(found)
        await conn.execute(
            meta.update().where(meta.c.key == _NEXT_NUMBER).values(value=str(number + 1))
        )
    return f"T-{number}"


async def insert_ticket(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(tickets.insert().values(status="open", **values))


async def reopen(conn: AsyncConnection, ticket_id: str) -> bool:
    """Open a resolved ticket again (the user answered); whether it was resolved.

    Its last outcome and note stay until the next resolution replaces them.
    """
    result = await conn.execute(
        tickets.update()
        .where(tickets.c.id == ticket_id)
        .where(tickets.c.status == "resolved")
        .values(status="open")
    )
    return bool(result.rowcount)


async def append_text(conn: AsyncConnection, ticket_id: str, addition: str) -> None:
    """Add a follow-up to the ticket's text, so every screen that shows it shows this."""
    await conn.execute(
        tickets.update().where(tickets.c.id == ticket_id).values(text=tickets.c.text + addition)
    )


async def add_message(
    conn: AsyncConnection,
    ticket_id: str,
    *,
    direction: str,
    body: str,
    original: str,
    at: datetime,
    message_id: str | None = None,
    refs: Mapping[str, Any] | None = None,
) -> int:
    result = await conn.execute(
        ticket_messages.insert().values(
            ticket_id=ticket_id,
            direction=direction,
            body=body,
            original=original,
            at=at,
            message_id=message_id,
            refs=json.dumps(dict(refs or {}), sort_keys=True, separators=(",", ":")),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def messages(conn: AsyncConnection, ticket_id: str) -> list[RowMapping]:
    """A ticket's conversation, oldest first."""
    rows = await conn.execute(
        select(ticket_messages)
        .where(ticket_messages.c.ticket_id == ticket_id)
        .order_by(ticket_messages.c.id)
    )
    return [r._mapping for r in rows]


async def latest_inbound(conn: AsyncConnection, ticket_id: str) -> RowMapping | None:
    """The user's last message on the ticket: a reply answers it."""
    row = (
        await conn.execute(
            select(ticket_messages)
            .where(ticket_messages.c.ticket_id == ticket_id)
            .where(ticket_messages.c.direction == "in")
            .order_by(ticket_messages.c.id.desc())
            .limit(1)
        )
    ).first()
    return row._mapping if row is not None else None


async def ticket_of_message_ids(conn: AsyncConnection, ids: Sequence[str]) -> str | None:
    """The ticket holding one of these Message-IDs (the first id that is found wins)."""
    for message_id in ids:
        found = (
            await conn.execute(
                select(ticket_messages.c.ticket_id)
                .where(ticket_messages.c.message_id == message_id)
                .limit(1)
            )
        ).scalar_one_or_none()
        if found is not None:
            return str(found)
    return None


async def open_ticket_of_conversation(conn: AsyncConnection, key: str) -> str | None:
    found = (
        await conn.execute(
            select(tickets.c.id)
            .where(tickets.c.conversation_key == key)
            .where(tickets.c.status == "open")
            .order_by(tickets.c.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return str(found) if found is not None else None


async def message_counts(conn: AsyncConnection, ticket_ids: Sequence[str]) -> dict[str, int]:
    if not ticket_ids:
        return {}
    rows = await conn.execute(
        select(ticket_messages.c.ticket_id, func.count())
        .where(ticket_messages.c.ticket_id.in_(list(ticket_ids)))
        .group_by(ticket_messages.c.ticket_id)
    )
    return {str(ticket_id): int(count) for ticket_id, count in rows}


async def checkpoint(conn: AsyncConnection, folder: str) -> RowMapping | None:
    row = (
        await conn.execute(select(mail_checkpoints).where(mail_checkpoints.c.folder == folder))
    ).first()
    return row._mapping if row is not None else None


async def save_checkpoint(
    conn: AsyncConnection, folder: str, *, uidvalidity: int, last_uid: int, at: datetime
) -> None:
    """Move the folder's checkpoint (never backwards within one UIDVALIDITY)."""
    found = await checkpoint(conn, folder)
    if found is None:
        await conn.execute(
            mail_checkpoints.insert().values(
                folder=folder, uidvalidity=uidvalidity, last_uid=last_uid, at=at
            )
        )
        return
    if found["uidvalidity"] == uidvalidity and found["last_uid"] >= last_uid:
        return
    await conn.execute(
        mail_checkpoints.update()
        .where(mail_checkpoints.c.folder == folder)
        .values(uidvalidity=uidvalidity, last_uid=last_uid, at=at)
    )
