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
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.recovery import Approval, ApprovalOutcome, ApprovalSummary
from supportdesk.rules.policy import Action, Check, RefusalCode, Role, decide
from supportdesk.service.audit import Actor, record
from supportdesk.service.audit import entries as audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, NotFound, ServiceError
from supportdesk.service.ops.changes import carry_out, factor_gone
from supportdesk.service.ops.common import (
    Principal,
    decision_refusal,
    load_target,
    refusal_error,
)
from supportdesk.service.ops.filing import approval_view, approval_views
from supportdesk.service.ops.idempotency import Answer, Once, Replay, run_once
from supportdesk.service.store import approvals
from supportdesk.service.store.engine import reading


def _is_lead(who: Principal) -> bool:
    return who.role == Role.LEAD


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


async def list_approvals(
    ctx: ServiceContext, who: Principal, *, status: str, user_id: str | None, limit: int
) -> list[Approval]:
    """Leads see every request, agents their own. Pending: oldest first (closest to lapsing)."""
    now = ctx.clock.now()
    async with reading(ctx.engine) as conn:
        rows = await approvals.listed(
            conn,
            status=status,
            requested_by=None if _is_lead(who) else who.username,
            user_id=user_id,
            limit=limit,
            now=now,
        )
        return await approval_views(ctx, conn, rows, now)


async def summary(ctx: ServiceContext, who: Principal) -> ApprovalSummary:
    """For the desk header: what waits for this lead, and this agent's own open requests."""
    async with reading(ctx.engine) as conn:
        everyone, yours = await approvals.live_counts(conn, who.username, ctx.clock.now())
    if _is_lead(who):
        return ApprovalSummary(pending=everyone, awaiting_you=everyone - yours, yours_pending=yours)
    return ApprovalSummary(pending=yours, awaiting_you=0, yours_pending=yours)


async def get_approval(ctx: ServiceContext, who: Principal, approval_id: int) -> Approval:
    async with reading(ctx.engine) as conn:
        view = await approval_view(ctx, conn, approval_id, ctx.clock.now())
    if not _is_lead(who) and not _same_person(view.requested_by, who.username):
        raise NotFound(f"no approval request #{approval_id} of yours")
    return view


async def _locked(conn: AsyncConnection, approval_id: int) -> Mapping[Any, Any]:
    row = await approvals.by_id(conn, approval_id, lock=True)
    if row is None:
        raise NotFound(f"no approval request #{approval_id}")
    return row


def _finished(row: Mapping[Any, Any], status: str) -> ServiceError:
    """The refusal for a request that is no longer pending, saying who settled it."""
    if status == "expired":
        return refusal_error(
            RefusalCode.APPROVAL_EXPIRED,
            ["The request is more than 24 hours old and has lapsed; submit it again."],
        )
    who = f" by {row['decided_by']}" if row.get("decided_by") else ""
    return Conflict(f"Request #{row['id']} was already {status}{who}.")


async def _settled(
    conn: AsyncConnection, approval_id: int, row: Mapping[Any, Any], now: datetime
) -> ServiceError | None:
    """The refusal when the request is no longer pending (a lapsed one is marked so)."""
    status = approvals.status_of(row, now)
    if status == "pending":
        return None
    if status == "expired" and row["status"] == "pending":
        await approvals.set_status(conn, approval_id, "expired")
    return _finished(row, status)


async def approve(
    ctx: ServiceContext, who: Principal, approval_id: int, *, note: str, once: Once, request_id: str
) -> Answer | Replay:
    """A second person (a lead, never the requester) lets the action happen, now."""

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        row = await _locked(conn, approval_id)
        params = approvals.params_of(row)
        action = Action(str(row["action"]))
        user_id = str(row["target_user_id"])
        requester = str(row["requested_by"])
        requester_role = str(params.get("requested_by_role", Role.AGENT))
        checks = [Check(c) for c in json.loads(str(row["verification"]))]
        factor_id = params.get("factor_id")
        facts = await load_target(ctx, conn, user_id)
        refusal: ServiceError | None = None
        if not _is_lead(who):
            refusal = refusal_error(
                RefusalCode.NOT_A_LEAD, ["Only a team lead can approve this request."]
            )
        elif (settled := await _settled(conn, approval_id, row, now)) is not None:
            refusal = settled
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
                approver=who.username,
                approver_role=who.role,
                requested_at=row["created_at"],
            )
            if not decision.allowed:
                refusal = (
                    decision_refusal(decision)
                    if decision.refused
                    else Conflict(" ".join(decision.reasons))
                )
        ticket_id = str(row["ticket_id"]) if row["ticket_id"] else None
        paper: dict[str, Any] = {
            "approval_id": approval_id,
            "action": action.value,
            "requested_by": requester,
            "user_id": user_id,
            "ticket_id": ticket_id,
            "reason": str(row["reason"]),
            "verification": sorted(c.value for c in checks),
        }
        if refusal is not None:
            entry = audit.approval_decided(
                who.actor, approve=True, outcome="refused", **paper, why=refusal.message
            )
            await record(conn, entry, at=now, request_id=request_id)
            return refusal
        effect = await carry_out(
            ctx,
            conn,
            action,
            facts,
            factor_id=str(factor_id) if factor_id is not None else None,
            issued_by=who.username,
            now=now,
        )
        await approvals.decide(
            conn, approval_id, status="approved", by=who.username, at=now, note=note.strip()
        )
        entry = audit.approval_decided(
            who.actor, approve=True, outcome="approved", **paper, note=note.strip()
        )
        await record(conn, entry, at=now, request_id=request_id)
        done = audit.account_change(
            Actor(name=requester, role=requester_role),
            action,
            "success",
            user_id=user_id,
            ticket_id=ticket_id,
            reason=paper["reason"],
            verification=paper["verification"],
            detail={
                "approval_id": approval_id,
                "approved_by": who.username,
                **({"factor_id": factor_id} if factor_id else {}),
                **effect.detail(),
            },
        )
        await record(conn, done, at=now, request_id=request_id)
        result = effect.result(action, user_id)
        result = result.model_copy(
            update={"summary": f"{result.summary} Requested by {requester}, approved by you."}
        )
        view = await approval_view(ctx, conn, approval_id, now)
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

    return await run_once(ctx, agent=who.username, once=once, work=work)


async def deny(
    ctx: ServiceContext, who: Principal, approval_id: int, *, note: str, once: Once, request_id: str
) -> Answer | Replay:
    """A lead turns the request down, or its requester withdraws it; nothing else changes."""

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        row = await _locked(conn, approval_id)
        requester = str(row["requested_by"])
        withdrawing = _same_person(requester, who.username)
        refusal: ServiceError | None = None
        if not (_is_lead(who) or withdrawing):
            refusal = refusal_error(
                RefusalCode.NOT_A_LEAD,
                ["Only a team lead (or the requester, to withdraw it) can deny this request."],
            )
        elif (settled := await _settled(conn, approval_id, row, now)) is not None:
            refusal = settled
        else:
            await approvals.decide(
                conn, approval_id, status="denied", by=who.username, at=now, note=note.strip()
            )
        entry = audit.approval_decided(
            who.actor,
            approve=False,
            outcome="refused" if refusal else ("withdrawn" if withdrawing else "denied"),
            approval_id=approval_id,
            action=str(row["action"]),
            requested_by=requester,
            user_id=str(row["target_user_id"]),
            ticket_id=str(row["ticket_id"]) if row["ticket_id"] else None,
            reason=str(row["reason"]),
            verification=json.loads(str(row["verification"])),
            note=note.strip(),
            **({"why": refusal.message} if refusal else {}),
        )
        await record(conn, entry, at=now, request_id=request_id)
        if refusal is not None:
            return refusal
        return Answer(ApprovalOutcome(approval=await approval_view(ctx, conn, approval_id, now)))

    return await run_once(ctx, agent=who.username, once=once, work=work)
