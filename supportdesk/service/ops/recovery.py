"""Lost phone or key: challenge a working factor, then one recovery action keyed by
`rules.policy.Action` (remove the lost factor, reset MFA, issue a one-time access code).

The order follows the article: the user tries another method; if none works,
support verifies who they are and resets MFA (or hands out a one-time access
code). The strongest identity check is a code sent to something the user
still holds, read back: the service sends it and checks the answer itself,
and only then does an action accept it (by the verification id it returns).
Every action and every refusal is audited with ticket, reason and checks;
sensitive accounts get a stored request for a lead instead of a change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.recovery import RecoveryResult
from supportdesk.rules.policy import Action, Outcome, RefusalCode, decide
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput, ServiceError
from supportdesk.service.ops.changes import NEEDS, carry_out
from supportdesk.service.ops.common import (
    Principal,
    decision_refusal,
    load_target,
    refusal_error,
    ticket_problem,
)
from supportdesk.service.ops.filing import file_approval, pending_refusal
from supportdesk.service.ops.idempotency import Answer, Once, Replay, run_once
from supportdesk.service.ops.verification import (
    resolve_verification,
)
from supportdesk.service.provider import require

ACTIONS = (Action.REMOVE_FACTOR, Action.RESET_MFA, Action.ISSUE_ACCESS_CODE)
"""The lost-phone branch's actions (a re-enrolment is filed from the authenticator branch)."""


# -- the recovery action ------------------------------------------------------------------------


@dataclass(frozen=True)
class Paperwork:
    """What every recovery action carries: ticket, reason, identity checks."""

    ticket_id: str
    reason: str
    checks: Sequence[str]
    verification_ids: Sequence[str]


async def recover(
    ctx: ServiceContext,
    who: Principal,
    action: Action,
    user_id: str,
    paper: Paperwork,
    *,
    factor_id: str | None,
    once: Once,
    request_id: str,
) -> Answer | Replay:
    """Check the paperwork and the policy, then act, store a request for a lead, or refuse."""
    if action not in ACTIONS:
        raise ValueError(f"{action} is not a lost-phone action")
    require(ctx.provider, NEEDS[action])

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        facts = await load_target(ctx, conn, user_id)
        verification = await resolve_verification(
            conn,
            agent=who.username,
            user_id=user_id,
            attested=paper.checks,
            verification_ids=paper.verification_ids,
            now=now,
            removing_factor=factor_id,
        )
        decision = decide(
            action,
            who.role,
            facts.target,
            ticket_id=paper.ticket_id,
            reason=paper.reason,
            checks=verification.checks,
            now=now,
        )
        ticket_issue = await ticket_problem(conn, paper.ticket_id, user_id)
        refusal: ServiceError | None = None
        why = ""
        if decision.code is RefusalCode.SERVICE_ACCOUNT:
            refusal, why = decision_refusal(decision), decision.code.value
        elif ticket_issue is not None:
            refusal, why = InvalidInput(ticket_issue, field="ticket_id"), "ticket"
        elif factor_id is not None and facts.factor(factor_id) is None:
            refusal = refusal_error(
                "not_found",
                [f"{user_id} has no factor {factor_id!r} (already removed?)."],
            )
            why = "no_such_factor"
        elif verification.problems:
            refusal = InvalidInput(" ".join(verification.problems), field="verification_ids")
            why = "verification"
        elif decision.refused:
            assert decision.code is not None
            refusal, why = decision_refusal(decision), decision.code.value
        ticket_id = paper.ticket_id.strip()
        reason = paper.reason.strip()
        base_detail: dict[str, object] = {"verification_ids": verification.verification_ids}
        if factor_id is not None:
            base_detail["factor_id"] = factor_id
        if refusal is None and decision.outcome is Outcome.NEEDS_APPROVAL:
            waiting = await pending_refusal(conn, action, user_id, now)
            if waiting is not None:
                refusal, why = waiting, "already_pending"
        change: dict[str, Any] = {
            "user_id": user_id,
            "ticket_id": ticket_id,
            "reason": reason,
            "verification": verification.names,
        }
        if refusal is not None:
            detail = {**base_detail, "refusal": why, "why": refusal.message}
            entry = audit.account_change(who.actor, action, "refused", **change, detail=detail)
            await record(conn, entry, at=now, request_id=request_id)
            return refusal
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            return await file_approval(
                ctx,
                conn,
                action=action,
                actor=who.actor,
                facts=facts,
                ticket_id=ticket_id,
                reason=reason,
                checks=verification.names,
                verification_ids=verification.verification_ids,
                factor_id=factor_id,
                decision=decision,
                now=now,
                request_id=request_id,
                detail=base_detail,
            )
        effect = await carry_out(
            ctx, conn, action, facts, factor_id=factor_id, issued_by=who.username, now=now
        )
        detail = {**base_detail, **effect.detail()}
        entry = audit.account_change(who.actor, action, "success", **change, detail=detail)
        await record(conn, entry, at=now, request_id=request_id)
        result = effect.result(action, user_id)
        return Answer(result, replay_body=without_code(result))

    return await run_once(ctx, agent=who.username, once=once, work=work)


def without_code(result: RecoveryResult) -> RecoveryResult:
    """A replay never shows an access code again: it exists only as a hash."""
    if result.access_code is None:
        return result
    return result.model_copy(
        update={
            "access_code": None,
            "summary": (
                "This code was already issued and shown once; it cannot be shown again. "
                "If it was lost, issue a new one (it replaces the old)."
            ),
        }
    )
