"""The ticket queue's rows."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import approvals, tickets


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
