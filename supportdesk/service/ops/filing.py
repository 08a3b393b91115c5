"""Four-eyes paperwork: filing a request for a lead, and requests as the desk sees them."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.recovery import Approval, RecoveryResult
from supportdesk.rules.policy import (
    ACTION_TITLES,
    Action,
    Decision,
    approval_expires_at,
    sensitivity,
)
from supportdesk.service.audit import Actor, record
from supportdesk.service.audit import entries as audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import NotFound, ServiceError
from supportdesk.service.ops.changes import wire_action
from supportdesk.service.ops.common import TargetFacts, factor_words, refusal_error, target_of
from supportdesk.service.ops.idempotency import Answer
from supportdesk.service.store import approvals


async def pending_refusal(
    conn: AsyncConnection, action: Action, user_id: str, now: datetime
) -> ServiceError | None:
    """One request per action and user waits at a time: the refusal when one already does."""
    pending = await approvals.pending_for(conn, action.value, user_id, now)
    if pending is None:
        return None
    return refusal_error(
        "pending",
        [
            f"Request #{pending} to {ACTION_TITLES[action].lower()} for this user is "
            "already waiting for a lead."
        ],
    )


async def file_approval(
    ctx: ServiceContext,
    conn: AsyncConnection,
    *,
    action: Action,
    actor: Actor,
    facts: TargetFacts,
    ticket_id: str,
    reason: str,
    checks: Collection[str],
    verification_ids: Sequence[str],
    factor_id: str | None,
    decision: Decision,
    now: datetime,
    request_id: str,
    detail: Mapping[Any, Any],
) -> Answer:
    """Store the request for a lead, audit it, and answer 202 with the approval."""
    params: dict[str, object] = {
        "requested_by_role": actor.role,
        "sensitive_because": list(sensitivity(facts.target, now)),
    }
    if factor_id is not None:
        params["factor_id"] = factor_id
    params["verification_ids"] = list(verification_ids)
    approval_id = await approvals.insert(
        conn,
        {
            "action": action.value,
            "target_user_id": facts.id,
            "requested_by": actor.name,
            "ticket_id": ticket_id,
            "reason": reason,
            "verification": approvals.dump_checks(checks),
            "params": approvals.dump_params(params),
            "status": "pending",
            "created_at": now,
            "expires_at": approval_expires_at(now),
        },
    )
    entry = audit.account_change(
        actor,
        action,
        "pending_approval",
        user_id=facts.id,
        ticket_id=ticket_id,
        reason=reason,
        verification=checks,
        detail={**detail, "approval_id": approval_id, "why": list(decision.reasons)},
    )
    await record(conn, entry, at=now, request_id=request_id)
    view = await approval_view(ctx, conn, approval_id, now)
    because = " ".join(view.sensitive_because)
    return Answer(
        RecoveryResult(
            status="pending_approval",
            action=view.action,
            user_id=facts.id,
            summary=(
                f"Stored as request #{approval_id} for a team lead: {because} "
                "Nothing changes until a lead approves; the request lapses in 24 hours."
            ),
            approval=view,
        ),
        status_code=202,
    )


async def approval_views(
    ctx: ServiceContext, conn: AsyncConnection, rows: Sequence[Mapping[Any, Any]], now: datetime
) -> list[Approval]:
    """Rows of `approvals` with the names a lead needs to judge them (two lookups, not N)."""
    people = await ctx.provider.users(conn, {r["target_user_id"] for r in rows})
    factor_ids = {approvals.params_of(r).get("factor_id") for r in rows} - {None}
    found = await ctx.provider.factors_by_id(conn, {str(f) for f in factor_ids})
    views: list[Approval] = []
    for row in rows:
        params = approvals.params_of(row)
        person = people[row["target_user_id"]]
        factor = found.get(params.get("factor_id", ""))
        action = Action(row["action"])
        views.append(
            Approval(
                id=row["id"],
                action=wire_action(action),
                action_title=ACTION_TITLES[action],
                target_user_id=row["target_user_id"],
                target_name=person.name,
                target_company=person.company,
                requested_by=row["requested_by"],
                requested_by_role=str(params.get("requested_by_role", "agent")),
                ticket_id=row["ticket_id"],
                reason=row["reason"],
                verification=json.loads(row["verification"]),
                factor_label=factor_words(factor) if factor is not None else None,
                sensitive_because=list(
                    params.get("sensitive_because") or sensitivity(target_of(person, 0), now)
                ),
                status=approvals.status_of(row, now),  # type: ignore[arg-type]
                created_at=row["created_at"],
                expires_at=row["expires_at"],
                decided_by=row["decided_by"],
                decided_at=row["decided_at"],
                decision_note=row["decision_note"],
            )
        )
    return views


async def approval_view(
    ctx: ServiceContext, conn: AsyncConnection, approval_id: int, now: datetime
) -> Approval:
    row = await approvals.by_id(conn, approval_id)
    if row is None:
        raise NotFound(f"no approval request #{approval_id}")
    return (await approval_views(ctx, conn, [row], now))[0]
