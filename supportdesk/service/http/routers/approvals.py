"""Four-eyes: requests on sensitive accounts wait here for a team lead (see `ops.approvals`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from supportdesk.api.recovery import Approval, ApprovalDecision, ApprovalOutcome, ApprovalSummary
from supportdesk.service.http.deps import Ctx, CurrentAgent, RequestId
from supportdesk.service.http.idempotency import IdempotencyKey, once, respond
from supportdesk.service.http.params import ApprovalId
from supportdesk.service.ops import approvals

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])


@router.get("", response_model=list[Approval])
async def list_approvals(
    agent: CurrentAgent,
    ctx: Ctx,
    status: Literal["pending", "decided", "all"] = "pending",
    user_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Approval]:
    """Leads see every request, agents their own. Pending: oldest first (closest to lapsing)."""
    return await approvals.list_approvals(ctx, agent, status=status, user_id=user_id, limit=limit)


@router.get("/summary", response_model=ApprovalSummary)
async def approval_summary(agent: CurrentAgent, ctx: Ctx) -> ApprovalSummary:
    """For the desk header: what waits for this lead, and this agent's own open requests."""
    return await approvals.summary(ctx, agent)


@router.get("/{approval_id}", response_model=Approval)
async def get_approval(approval_id: ApprovalId, agent: CurrentAgent, ctx: Ctx) -> Approval:
    return await approvals.get_approval(ctx, agent, approval_id)


@router.post("/{approval_id}/approve", response_model=ApprovalOutcome)
async def approve(
    approval_id: ApprovalId,
    body: ApprovalDecision,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A second person (a lead, never the requester) lets the action happen, now."""
    done = await approvals.approve(
        ctx,
        agent,
        approval_id,
        note=body.note,
        once=once(request, body, idempotency_key),
        request_id=rid,
    )
    return respond(done)


@router.post("/{approval_id}/deny", response_model=ApprovalOutcome)
async def deny(
    approval_id: ApprovalId,
    body: ApprovalDecision,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A lead turns the request down, or its requester withdraws it; nothing else changes."""
    done = await approvals.deny(
        ctx,
        agent,
        approval_id,
        note=body.note,
        once=once(request, body, idempotency_key),
        request_id=rid,
    )
    return respond(done)
