"""The ticket queue: list, open one, resolve with an outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import Ticket
from supportdesk.rules.tree import TICKET_OUTCOMES
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, InvalidInput, NotFound
from supportdesk.service.ops.common import Principal
from supportdesk.service.ops.views import ticket_view
from supportdesk.service.store import intake as intake_store
from supportdesk.service.store import tickets
from supportdesk.service.store.engine import reading


async def _views(
    ctx: ServiceContext, conn: AsyncConnection, rows: Sequence[Mapping[Any, Any]]
) -> list[Ticket]:
    """Rows with their users' names and whether a request on them waits for a lead."""
    people = await ctx.provider.users(conn, {r["user_id"] for r in rows if r["user_id"]})
    waiting = await tickets.awaiting_lead(conn, [r["id"] for r in rows], ctx.clock.now())
    counts = await intake_store.message_counts(conn, [r["id"] for r in rows])
    return [ticket_view(r, people, waiting, counts) for r in rows]


async def list_tickets(
    ctx: ServiceContext, *, status: str, user_id: str | None, limit: int
) -> list[Ticket]:
    """Oldest first: the queue is worked from the longest wait."""
    async with reading(ctx.engine) as conn:
        rows = await tickets.listed(conn, status=status, user_id=user_id, limit=limit)
        return await _views(ctx, conn, rows)


async def _load(ctx: ServiceContext, conn: AsyncConnection, ticket_id: str) -> Ticket:
    row = await tickets.by_id(conn, ticket_id)
    if row is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    return (await _views(ctx, conn, [row]))[0]


async def get_ticket(ctx: ServiceContext, ticket_id: str) -> Ticket:
    async with reading(ctx.engine) as conn:
        return await _load(ctx, conn, ticket_id)


async def resolve_ticket(
    ctx: ServiceContext,
    who: Principal,
    ticket_id: str,
    *,
    outcome: str,
    note: str,
    request_id: str,
) -> Ticket:
    """Close the ticket with one of the tree's outcomes and a note of what was done."""
    if outcome not in TICKET_OUTCOMES:
        raise InvalidInput(
            f"unknown outcome {outcome!r}; use one of: {', '.join(TICKET_OUTCOMES)}",
            field="outcome",
        )
    if not note.strip():
        raise InvalidInput("say in a note what was done", field="note")
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        ticket = await _load(ctx, conn, ticket_id)
        if ticket.status != "open":
            raise Conflict(f"ticket {ticket_id} was already resolved by {ticket.resolved_by}")
        await tickets.resolve(
            conn, ticket_id, outcome=outcome, note=note.strip(), by=who.username, at=now
        )
        entry = audit.ticket_resolved(
            who.actor,
            ticket_id=ticket_id,
            user_id=ticket.user_id,
            outcome=outcome,
            note=note.strip(),
        )
        await record(conn, entry, at=now, request_id=request_id)
        return await _load(ctx, conn, ticket_id)
