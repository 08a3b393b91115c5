"""The ticket queue's rows."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import (
    approvals,
    ticket_branch_corrections,
    ticket_replies,
    ticket_triage,
    tickets,
)


async def listed(
    conn: AsyncConnection, *, status: str, user_id: str | None, limit: int
) -> list[RowMapping]:
    """Oldest first: the queue is worked from the longest wait."""
    stmt = select(tickets).order_by(tickets.c.created_at, tickets.c.id).limit(limit)
    if status != "all":
        stmt = stmt.where(tickets.c.status == status)
    if user_id:
        stmt = stmt.where(tickets.c.user_id == user_id)
    return [r._mapping for r in await conn.execute(stmt)]


async def by_id(conn: AsyncConnection, ticket_id: str) -> RowMapping | None:
    row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).first()
    return row._mapping if row is not None else None


async def owner_and_status(conn: AsyncConnection, ticket_id: str) -> Any:
    """(user_id, status) of a ticket, or None."""
    return (
        await conn.execute(
            select(tickets.c.user_id, tickets.c.status).where(tickets.c.id == ticket_id)
        )
    ).first()


async def resolve(
    conn: AsyncConnection, ticket_id: str, *, outcome: str, note: str, by: str, at: datetime
) -> None:
    await conn.execute(
        tickets.update()
        .where(tickets.c.id == ticket_id)
        .values(status="resolved", outcome=outcome, note=note, resolved_by=by, resolved_at=at)
    )


async def awaiting_lead(
    conn: AsyncConnection, ticket_ids: Collection[str], now: datetime
) -> set[str]:
    """Which of these tickets have a request waiting for a lead's decision."""
    if not ticket_ids:
        return set()
    rows = await conn.execute(
        select(approvals.c.ticket_id)
        .where(approvals.c.ticket_id.in_(list(ticket_ids)))
        .where(approvals.c.status == "pending")
        .where(approvals.c.expires_at > now)
    )
    return {str(r.ticket_id) for r in rows}


# -- triage, corrections and replies (issue 14) ---------------------------------------------


async def triage_rows(conn: AsyncConnection, ticket_ids: Collection[str]) -> dict[str, RowMapping]:
    """The stored guesses (made on arrival) of these tickets, by ticket id."""
    if not ticket_ids:
        return {}
    rows = await conn.execute(
        select(ticket_triage).where(ticket_triage.c.ticket_id.in_(list(ticket_ids)))
    )
    return {r.ticket_id: r._mapping for r in rows}


async def store_triage(
    conn: AsyncConnection,
    ticket_id: str,
    *,
    branch: str | None,
    confidence: float,
    runner_up: str | None,
    runner_up_confidence: float | None,
    source: str,
    at: datetime,
) -> None:
    """Replace the ticket's stored guess (a ticket is triaged again when it grows)."""
    await conn.execute(ticket_triage.delete().where(ticket_triage.c.ticket_id == ticket_id))
    await conn.execute(
        ticket_triage.insert().values(
            ticket_id=ticket_id,
            branch=branch,
            confidence=confidence,
            runner_up=runner_up,
            runner_up_confidence=runner_up_confidence,
            source=source,
            triaged_at=at,
        )
    )


async def latest_corrections(
    conn: AsyncConnection, ticket_ids: Collection[str]
) -> dict[str, RowMapping]:
    """Each ticket's latest branch correction, by ticket id."""
    if not ticket_ids:
        return {}
    latest = (
        select(func.max(ticket_branch_corrections.c.id))
        .where(ticket_branch_corrections.c.ticket_id.in_(list(ticket_ids)))
        .group_by(ticket_branch_corrections.c.ticket_id)
    )
    rows = await conn.execute(
        select(ticket_branch_corrections).where(ticket_branch_corrections.c.id.in_(latest))
    )
    return {r.ticket_id: r._mapping for r in rows}


async def add_correction(
    conn: AsyncConnection, ticket_id: str, *, guessed: str, branch: str, agent: str, at: datetime
) -> int:
    result = await conn.execute(
        ticket_branch_corrections.insert().values(
            ticket_id=ticket_id, guessed=guessed, branch=branch, agent=agent, at=at
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def corrections(
    conn: AsyncConnection, *, since: datetime | None, limit: int
) -> list[RowMapping]:
    """Corrections with their tickets' words, oldest first: labelled examples."""
    stmt = (
        select(
            ticket_branch_corrections,
            tickets.c.subject,
            tickets.c.text,
        )
        .join(tickets, tickets.c.id == ticket_branch_corrections.c.ticket_id)
        .order_by(ticket_branch_corrections.c.id)
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(ticket_branch_corrections.c.at >= since)
    return [r._mapping for r in await conn.execute(stmt)]


async def replies_of(
    conn: AsyncConnection, ticket_ids: Collection[str]
) -> dict[str, list[RowMapping]]:
    """Each ticket's replies, oldest first, by ticket id."""
    if not ticket_ids:
        return {}
    rows = await conn.execute(
        select(ticket_replies)
        .where(ticket_replies.c.ticket_id.in_(list(ticket_ids)))
        .order_by(ticket_replies.c.created_at, ticket_replies.c.id)
    )
    found: dict[str, list[RowMapping]] = {}
    for r in rows:
        found.setdefault(r.ticket_id, []).append(r._mapping)
    return found


async def reply_by_key(conn: AsyncConnection, idempotency_key: str) -> RowMapping | None:
    row = (
        await conn.execute(
            select(ticket_replies).where(ticket_replies.c.idempotency_key == idempotency_key)
        )
    ).first()
    return row._mapping if row is not None else None


async def reply_by_id(conn: AsyncConnection, reply_id: int) -> RowMapping | None:
    row = (
        await conn.execute(select(ticket_replies).where(ticket_replies.c.id == reply_id))
    ).first()
    return row._mapping if row is not None else None


async def add_reply(
    conn: AsyncConnection,
    ticket_id: str,
    *,
    author: str,
    body: str,
    at: datetime,
    delivery_state: str,
    idempotency_key: str,
    delivery_detail: str | None = None,
) -> int:
    result = await conn.execute(
        ticket_replies.insert().values(
            ticket_id=ticket_id,
            author=author,
            body=body,
            created_at=at,
            delivery_state=delivery_state,
            delivery_detail=delivery_detail,
            idempotency_key=idempotency_key,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def set_reply_delivery(
    conn: AsyncConnection, reply_id: int, *, state: str, detail: str | None
) -> None:
    """Where a reply stands now (the channel that carries it back sets this)."""
    await conn.execute(
        ticket_replies.update()
        .where(ticket_replies.c.id == reply_id)
        .values(delivery_state=state, delivery_detail=detail)
    )
