"""Carrying out an account change the policy allowed: one place for every path to it.

Remove a factor, reset MFA, issue an access code, re-enrol the authenticator app: the
direct paths (`ops.recovery`, `ops.totp`) and the approval path (`ops.approvals`) all end
here, so an approved request does exactly what a direct one would have done. The
provider makes the change; what it changed comes back as an `Effect` for the answer and
the audit entry, which the caller writes in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.recovery import RecoveryAction, RecoveryResult
from supportdesk.rules.factor_words import method_words
from supportdesk.rules.policy import Action
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, ServiceError
from supportdesk.service.ops.common import TargetFacts, factor_words
from supportdesk.service.provider import Capability, receipts, require

NEEDS: Mapping[Action, Capability] = {
    Action.REMOVE_FACTOR: Capability.REMOVE_FACTOR,
    Action.RESET_MFA: Capability.RESET_MFA,
    Action.ISSUE_ACCESS_CODE: Capability.ACCESS_CODE,
    Action.REENROL_TOTP: Capability.RETIRE_TOTP,
}
"""What the provider must be able to do for each account change."""


@dataclass(frozen=True)
class Effect:
    """What an action changed, for the answer and the audit entry."""

    summary: str
    factors_removed: tuple[str, ...] = ()
    sessions_revoked: int = 0
    access_code: str | None = None
    access_code_expires_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """More for the audit entry (a re-enrolment: the methods left and the MFA status)."""

    def detail(self) -> dict[str, Any]:
        found: dict[str, Any] = {"factors_removed": list(self.factors_removed)}
        if self.sessions_revoked:
            found["sessions_revoked"] = self.sessions_revoked
        if self.access_code_expires_at is not None:
            found["access_code_expires_at"] = self.access_code_expires_at.isoformat()
        return {**found, **self.extra}

    def result(self, action: Action, user_id: str) -> RecoveryResult:
        return RecoveryResult(
            status="done",
            action=wire_action(action),
            user_id=user_id,
            summary=self.summary,
            factors_removed=list(self.factors_removed),
            sessions_revoked=self.sessions_revoked,
            access_code=self.access_code,
            access_code_expires_at=self.access_code_expires_at,
        )


def wire_action(action: Action) -> RecoveryAction:
    if action is Action.REMOVE_FACTOR:
        return "remove_factor"
    if action is Action.RESET_MFA:
        return "reset_mfa"
    if action is Action.ISSUE_ACCESS_CODE:
        return "issue_access_code"
    if action is Action.REENROL_TOTP:
        return "reenrol_totp"
    raise ValueError(f"{action} is not a recovery action")


def next_sign_in(name: str, remaining: Sequence[str]) -> str:
    """What the user meets after a re-enrolment, in words the agent can read out."""
    if remaining:
        others = " or ".join(method_words(t) for t in remaining)
        return (
            f"{name} signs in with {others}, then Alvys asks to set up the authenticator"
            " app again with a new QR code."
        )
    return (
        f"{name} has no other method: the next sign-in goes straight to MFA setup,"
        " where Alvys shows a new QR code to scan."
    )


def factor_gone(action: Action) -> ServiceError:
    """The refusal when the factor a request names is no longer on the account."""
    if action is Action.REENROL_TOTP:
        return Conflict("The authenticator app this request would re-enrol is already retired.")
    return Conflict("The factor this request would remove is already gone.")


async def carry_out(
    ctx: ServiceContext,
    conn: AsyncConnection,
    action: Action,
    facts: TargetFacts,
    *,
    factor_id: str | None,
    issued_by: str,
    now: datetime,
) -> Effect:
    """Make the change; the caller has already had the policy's yes. What a provider in
    front of another server noted (its serials and audit rows) joins the audit detail."""
    with receipts.collecting() as seen:
        effect = await _carry_out(
            ctx, conn, action, facts, factor_id=factor_id, issued_by=issued_by, now=now
        )
    return with_receipts(effect, seen)


def with_receipts(effect: Effect, seen: receipts.Receipts) -> Effect:
    """The effect with the provider's records in its audit detail and words in its summary."""
    if not seen.records and not seen.words:
        return effect
    extra = {**effect.extra, "provider": seen.records} if seen.records else effect.extra
    summary = " ".join([effect.summary, *seen.words])
    return replace(effect, summary=summary, extra=extra)


async def _carry_out(
    ctx: ServiceContext,
    conn: AsyncConnection,
    action: Action,
    facts: TargetFacts,
    *,
    factor_id: str | None,
    issued_by: str,
    now: datetime,
) -> Effect:
    require(ctx.provider, NEEDS[action])
    provider = ctx.provider
    user = facts.user
    name = user.name
    if action is Action.REMOVE_FACTOR:
        lost = facts.factor(factor_id or "")
        assert lost is not None
        await provider.remove_factor(conn, user, lost, now)
        left = [factor_words(f) for f in facts.factors if f.id != lost.id]
        return Effect(
            summary=f"Removed {factor_words(lost)}. {name} still has: {', '.join(left)}.",
            factors_removed=(factor_words(lost),),
        )
    if action is Action.RESET_MFA:
        revoked = await provider.reset_mfa(conn, user, now)
        count = len(facts.factors)
        return Effect(
            summary=(
                f"MFA reset: {count} factor{'s' if count != 1 else ''} removed, "
                f"{revoked} session{'s' if revoked != 1 else ''} signed out. "
                f"At the next sign-in {name} sets MFA up again."
            ),
            factors_removed=tuple(factor_words(f) for f in facts.factors),
            sessions_revoked=revoked,
        )
    if action is Action.ISSUE_ACCESS_CODE:
        issued = await provider.issue_access_code(conn, user, issued_by, now)
        valid_s = (issued.expires_at - now).total_seconds()
        minutes = round(valid_s / 60)
        valid = f"{minutes} min" if minutes <= 120 else f"about {round(valid_s / 3600)} h"
        return Effect(
            summary=(
                f"One-time access code issued for {name}: valid for {valid}, one sign-in, "
                "to set up a new method. It is shown only once."
            ),
            access_code=issued.code,
            access_code_expires_at=issued.expires_at,
        )
    if action is Action.REENROL_TOTP:
        app = facts.factor(factor_id or "")
        assert app is not None and app.type == "totp"
        retired = await provider.retire_totp(conn, user, app, now)
        return Effect(
            summary=(
                f"Re-enrolled {factor_words(app)}: the codes it shows are refused from now on. "
                f"{next_sign_in(name, retired.remaining_methods)}"
            ),
            factors_removed=(factor_words(app),),
            extra={
                "label": app.label,
                "remaining_methods": retired.remaining_methods,
                "mfa_status": retired.mfa_status,
            },
        )
    raise ValueError(f"{action} is not a recovery action")
