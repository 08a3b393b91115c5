"""Four-eyes: requests on sensitive accounts wait here for a team lead.

Leads see every request and approve or deny it; agents see only their own
(and may withdraw one). Nobody approves their own request, and requests lapse
after `APPROVAL_TTL`. An approval carries the action out there and then, with
the policy re-checked against the account as it is now, and audits it under
both names: the approval under the lead's, the action under the requester's
with the approver recorded beside it. A denial changes nothing but the request.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.recovery import (
    Approval,
    ApprovalDecision,
    ApprovalOutcome,
    ApprovalSummary,
)
from supportdesk.rules.policy import Action, Check, RefusalCode, Role, decide
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.db.schema import approvals
from supportdesk.service.deps import Ctx, CurrentAgent, Principal, RequestId
from supportdesk.service.errors import Conflict, NotFound, ServiceError
from supportdesk.service.idempotency import Answer, IdempotencyKey, request_hash, run_once
from supportdesk.service.recovery_actions import (
    approval_params,
    approval_status,
    approval_view,
    approval_views,
    audit_recovery,
    carry_out,
    decision_refusal,
    factor_gone,
    load_target,
    refusal_error,
)

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])


def _is_lead(agent: Principal) -> bool:
    return agent.role == Role.LEAD


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


@router.get("", response_model=list[Approval])
async def list_approvals(
    agent: CurrentAgent,
    ctx: Ctx,
    status: Literal["pending", "decided", "all"] = "pending",
    user_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Approval]:
    """Leads see every request, agents their own. Pending: oldest first (closest to lapsing)."""
    now = ctx.clock.now()
    stmt = select(approvals).limit(limit)
    live = (approvals.c.status == "pending") & (approvals.c.expires_at > now)
    if status == "pending":
        stmt = stmt.where(live).order_by(approvals.c.created_at, approvals.c.id)
    else:
        if status == "decided":
            stmt = stmt.where(~live)
        stmt = stmt.order_by(approvals.c.created_at.desc(), approvals.c.id.desc())
    if not _is_lead(agent):
        stmt = stmt.where(approvals.c.requested_by == agent.username)
    if user_id:
        stmt = stmt.where(approvals.c.target_user_id == user_id)
    async with ctx.engine.connect() as conn:
        rows = [r._mapping for r in await conn.execute(stmt)]
        return await approval_views(conn, rows, now)


@router.get("/summary", response_model=ApprovalSummary)
async def approval_summary(agent: CurrentAgent, ctx: Ctx) -> ApprovalSummary:
    """For the desk header: what waits for this lead, and this agent's own open requests."""
    now = ctx.clock.now()
    live = (approvals.c.status == "pending") & (approvals.c.expires_at > now)
    mine = func.lower(approvals.c.requested_by) == agent.username.lower()
    count = select(func.count()).select_from(approvals).where(live)
    async with ctx.engine.connect() as conn:
        yours = (await conn.execute(count.where(mine))).scalar_one()
        if _is_lead(agent):
            pending = (await conn.execute(count)).scalar_one()
            awaiting = (await conn.execute(count.where(~mine))).scalar_one()
        else:
            pending, awaiting = yours, 0
    return ApprovalSummary(pending=pending, awaiting_you=awaiting, yours_pending=yours)


@router.get("/{approval_id}", response_model=Approval)
async def get_approval(approval_id: int, agent: CurrentAgent, ctx: Ctx) -> Approval:
    async with ctx.engine.connect() as conn:
        view = await approval_view(conn, approval_id, ctx.clock.now())
    if not _is_lead(agent) and not _same_person(view.requested_by, agent.username):
        raise NotFound(f"no approval request #{approval_id} of yours")
    return view


async def _locked(conn: AsyncConnection, approval_id: int) -> dict[str, object]:
    row = (
        await conn.execute(select(approvals).where(approvals.c.id == approval_id).with_for_update())
    ).first()
    if row is None:
        raise NotFound(f"no approval request #{approval_id}")
    return dict(row._mapping)


@router.post("/{approval_id}/approve", response_model=ApprovalOutcome)
async def approve(
    approval_id: int,
    body: ApprovalDecision,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A second person (a lead, never the requester) lets the action happen, now."""
    fingerprint = request_hash("POST", request.url.path, body)

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        row = await _locked(conn, approval_id)
        params = approval_params(row)
        action = Action(str(row["action"]))
        user_id = str(row["target_user_id"])
        requester = str(row["requested_by"])
        requester_role = str(params.get("requested_by_role", Role.AGENT))
        checks = [Check(c) for c in json.loads(str(row["verification"]))]
        factor_id = params.get("factor_id")
        facts = await load_target(conn, user_id)
        refusal: ServiceError | None = None
        status = approval_status(row, now)
        if not _is_lead(agent):
            refusal = refusal_error(
                RefusalCode.NOT_A_LEAD, ["Only a team lead can approve this request."]
            )
        elif status != "pending":
            if status == "expired" and row["status"] == "pending":
                await _set_status(conn, approval_id, "expired")
            refusal = _finished(row, status)
        elif factor_id is not None and facts.factor(str(factor_id)) is None:
            refusal = factor_gone(action)
        else:
            decision = decide(
                action,
                requester_role,
                facts.target,
                ticket_id=str(row["ticket_id"] or ""),
                reason=str(row["reason"]),
                checks=checks,
                now=now,
                requested_by=requester,
                approver=agent.username,
                approver_role=agent.role,
                requested_at=row["created_at"],  # type: ignore[arg-type]
            )
            if not decision.allowed:
                refusal = (
                    decision_refusal(decision)
                    if decision.refused
                    else Conflict(" ".join(decision.reasons))
                )
        ticket_id = str(row["ticket_id"]) if row["ticket_id"] else None
        reason = str(row["reason"])
        verification = sorted(c.value for c in checks)

        async def audit_approval(outcome: str, **detail: object) -> None:
            await append_audit(
                conn,
                at=now,
                actor=agent.actor,
                action="approval.approve",
                outcome=outcome,
                target_user=user_id,
                ticket_id=ticket_id,
                reason=reason,
                verification=verification,
                detail={
                    "approval_id": approval_id,
                    "action": action.value,
                    "requested_by": requester,
                    **detail,
                },
                request_id=rid,
            )

        if refusal is not None:
            await audit_approval("refused", why=refusal.message)
            return refusal
        effect = await carry_out(
            conn,
            ctx,
            action,
            facts,
            factor_id=str(factor_id) if factor_id is not None else None,
            issued_by=agent.username,
            now=now,
        )
        await conn.execute(
            approvals.update()
            .where(approvals.c.id == approval_id)
            .values(
                status="approved",
                decided_by=agent.username,
                decided_at=now,
                decision_note=body.note.strip() or None,
            )
        )
        await audit_approval("approved", note=body.note.strip())
        await audit_recovery(
            conn,
            at=now,
            actor=Actor(name=requester, role=requester_role),
            action=action,
            outcome="success",
            user_id=user_id,
            ticket_id=ticket_id,
            reason=reason,
            verification=verification,
            detail={
                "approval_id": approval_id,
                "approved_by": agent.username,
                **({"factor_id": factor_id} if factor_id else {}),
                **effect.detail(),
            },
            request_id=rid,
        )
        result = effect.result(action, user_id)
        result = result.model_copy(
            update={"summary": f"{result.summary} Requested by {requester}, approved by you."}
        )
        view = await approval_view(conn, approval_id, now)
        shown = ApprovalOutcome(approval=view, result=result)
        replay = shown
        if result.access_code is not None:
            replay = ApprovalOutcome(
                approval=view,
                result=result.model_copy(
                    update={
                        "access_code": None,
                        "summary": "Approved; the access code was shown once and cannot be "
                        "shown again.",
                    }
                ),
            )
        return Answer(shown, replay_body=replay)

    return await run_once(
        ctx, agent=agent.username, key=idempotency_key, fingerprint=fingerprint, work=work
    )


@router.post("/{approval_id}/deny", response_model=ApprovalOutcome)
async def deny(
    approval_id: int,
    body: ApprovalDecision,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A lead turns the request down, or its requester withdraws it; nothing else changes."""
    fingerprint = request_hash("POST", request.url.path, body)

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        row = await _locked(conn, approval_id)
        requester = str(row["requested_by"])
        withdrawing = _same_person(requester, agent.username)
        status = approval_status(row, now)
        refusal: ServiceError | None = None
        if not (_is_lead(agent) or withdrawing):
            refusal = refusal_error(
                RefusalCode.NOT_A_LEAD,
                ["Only a team lead (or the requester, to withdraw it) can deny this request."],
            )
        elif status != "pending":
            if status == "expired" and row["status"] == "pending":
                await _set_status(conn, approval_id, "expired")
            refusal = _finished(row, status)
        else:
            await conn.execute(
                approvals.update()
                .where(approvals.c.id == approval_id)
                .values(
                    status="denied",
                    decided_by=agent.username,
                    decided_at=now,
                    decision_note=body.note.strip() or None,
                )
            )
        await append_audit(
            conn,
            at=now,
            actor=agent.actor,
            action="approval.deny",
            outcome="refused" if refusal else ("withdrawn" if withdrawing else "denied"),
            target_user=str(row["target_user_id"]),
            ticket_id=str(row["ticket_id"]) if row["ticket_id"] else None,
            reason=str(row["reason"]),
            verification=json.loads(str(row["verification"])),
            detail={
                "approval_id": approval_id,
                "action": str(row["action"]),
                "requested_by": requester,
                "note": body.note.strip(),
                **({"why": refusal.message} if refusal else {}),
            },
            request_id=rid,
        )
        if refusal is not None:
            return refusal
        return Answer(ApprovalOutcome(approval=await approval_view(conn, approval_id, now)))

    return await run_once(
        ctx, agent=agent.username, key=idempotency_key, fingerprint=fingerprint, work=work
    )


async def _set_status(conn: AsyncConnection, approval_id: int, status: str) -> None:
    await conn.execute(
        approvals.update().where(approvals.c.id == approval_id).values(status=status)
    )


def _finished(row: dict[str, object], status: str) -> ServiceError:
    """The refusal for a request that is no longer pending, saying who settled it."""
    if status == "expired":
        return refusal_error(
            RefusalCode.APPROVAL_EXPIRED,
            ["The request is more than 24 hours old and has lapsed; submit it again."],
        )
    who = f" by {row['decided_by']}" if row.get("decided_by") else ""
    return Conflict(f"Request #{row['id']} was already {status}{who}.")
