"""The ticket queue: list, open one, resolve with an outcome."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import ResolveTicket, Ticket
from supportdesk.rules.tree import TICKET_OUTCOMES
from supportdesk.service.audit import append_audit
from supportdesk.service.db.schema import tickets, users
from supportdesk.service.deps import Ctx, CurrentAgent, RequestId
from supportdesk.service.errors import Conflict, InvalidInput, NotFound
from supportdesk.service.views import TICKET_COLUMNS, ticket_view

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])


@router.get("", response_model=list[Ticket])
async def list_tickets(
    _agent: CurrentAgent,
    ctx: Ctx,
    status: Literal["open", "resolved", "all"] = "open",
    user_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[Ticket]:
    """Oldest first: the queue is worked from the longest wait."""
    stmt = (
        select(*TICKET_COLUMNS)
        .join(users, users.c.id == tickets.c.user_id)
        .order_by(tickets.c.created_at, tickets.c.id)
        .limit(limit)
    )
    if status != "all":
        stmt = stmt.where(tickets.c.status == status)
    if user_id:
        stmt = stmt.where(tickets.c.user_id == user_id)
    async with ctx.engine.connect() as conn:
        return [ticket_view(r._mapping) for r in await conn.execute(stmt)]


async def _load(conn: AsyncConnection, ticket_id: str) -> Ticket:
    row = (
        await conn.execute(
            select(*TICKET_COLUMNS)
            .join(users, users.c.id == tickets.c.user_id)
            .where(tickets.c.id == ticket_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    return ticket_view(row._mapping)


@router.get("/{ticket_id}", response_model=Ticket)
async def get_ticket(ticket_id: str, _agent: CurrentAgent, ctx: Ctx) -> Ticket:
    async with ctx.engine.connect() as conn:
        return await _load(conn, ticket_id)


@router.post("/{ticket_id}/resolve", response_model=Ticket)
async def resolve_ticket(
    ticket_id: str, body: ResolveTicket, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> Ticket:
    if body.outcome not in TICKET_OUTCOMES:
        raise InvalidInput(
            f"unknown outcome {body.outcome!r}; use one of: {', '.join(TICKET_OUTCOMES)}",
            field="outcome",
        )
    if not body.note.strip():
        raise InvalidInput("say in a note what was done", field="note")
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        ticket = await _load(conn, ticket_id)
        if ticket.status != "open":
            raise Conflict(f"ticket {ticket_id} was already resolved by {ticket.resolved_by}")
        await conn.execute(
            tickets.update()
            .where(tickets.c.id == ticket_id)
            .values(
                status="resolved",
                outcome=body.outcome,
                note=body.note.strip(),
                resolved_by=agent.username,
                resolved_at=now,
            )
        )
        await append_audit(
            conn,
            at=now,
            actor=agent.actor,
            action="ticket.resolve",
            outcome="success",
            target_user=ticket.user_id,
            ticket_id=ticket_id,
            reason=body.note.strip(),
            detail={"outcome": body.outcome},
            request_id=rid,
        )
        return await _load(conn, ticket_id)
