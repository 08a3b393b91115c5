"""The ticket queue: list, open one, resolve with an outcome."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from supportdesk.api.models import ResolveTicket, Ticket
from supportdesk.service.http.deps import Ctx, CurrentAgent, RequestId
from supportdesk.service.ops import tickets

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
    return await tickets.list_tickets(ctx, status=status, user_id=user_id, limit=limit)


@router.get("/{ticket_id}", response_model=Ticket)
async def get_ticket(ticket_id: str, _agent: CurrentAgent, ctx: Ctx) -> Ticket:
    return await tickets.get_ticket(ctx, ticket_id)


@router.post("/{ticket_id}/resolve", response_model=Ticket)
async def resolve_ticket(
    ticket_id: str, body: ResolveTicket, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> Ticket:
    return await tickets.resolve_ticket(
        ctx, agent, ticket_id, outcome=body.outcome, note=body.note, request_id=rid
    )
