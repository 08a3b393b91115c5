"""The ticket queue: list, open one, correct its branch, reply, resolve with an outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from supportdesk.api.models import (
    AddReply,
    BranchCorrectionRecord,
    CorrectBranch,
    ResolveTicket,
    Ticket,
)
from supportdesk.service.http.deps import Ctx, CurrentAgent, CurrentLead, RequestId
from supportdesk.service.ops import tickets
from supportdesk.service.store.schema import as_utc

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


@router.get("/corrections", response_model=list[BranchCorrectionRecord])
async def list_corrections(
    _lead: CurrentLead,
    ctx: Ctx,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[BranchCorrectionRecord]:
    """Team leads: the agents' branch corrections with the tickets' words."""
    return await tickets.list_corrections(ctx, since=as_utc(since) if since else None, limit=limit)


@router.get("/{ticket_id}", response_model=Ticket)
async def get_ticket(ticket_id: str, _agent: CurrentAgent, ctx: Ctx) -> Ticket:
    return await tickets.get_ticket(ctx, ticket_id)


@router.post("/{ticket_id}/resolve", response_model=Ticket)
async def resolve_ticket(
    ticket_id: str, body: ResolveTicket, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> Ticket:
    return await tickets.resolve_ticket(
        ctx,
        agent,
        ticket_id,
        outcome=body.outcome,
        note=body.note,
        request_id=rid,
        reply=body.reply,
        reply_key=body.reply_key,
    )


@router.post("/{ticket_id}/replies", response_model=Ticket)
async def add_reply(
    ticket_id: str, body: AddReply, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> Ticket:
    """A reply to the user along the way; the ticket stays as it is."""
    return await tickets.add_reply(
        ctx,
        agent,
        ticket_id,
        body=body.body,
        idempotency_key=body.idempotency_key,
        request_id=rid,
    )


@router.post("/{ticket_id}/branch", response_model=Ticket)
async def correct_branch(
    ticket_id: str, body: CorrectBranch, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> Ticket:
    """The agent puts the ticket in another branch (audited, kept as training data)."""
    return await tickets.correct_branch(ctx, agent, ticket_id, branch=body.branch, request_id=rid)
