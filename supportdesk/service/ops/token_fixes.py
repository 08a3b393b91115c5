"""Branch 2's provider-side fixes: resync an app whose phone clock is off, and unlock a
token its fail counter locked (see `api.token_fixes`).

As every change: the policy first (a ticket and a reason; neither changes who can sign
in, so no identity check and no four-eyes), then the provider, then our audit entry in
the same step. The entry names the provider's serial and its own audit row
(`provider.receipts`); a provider failure is audited as failed, never as a success.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.token_fixes import TokenUnlocked, TotpResynced
from supportdesk.rules.drift import format_duration
from supportdesk.rules.policy import Action, decide
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, InvalidInput, NotFound, ServiceError
from supportdesk.service.ops.common import (
    Principal,
    TargetFacts,
    load_target,
    plain_refusal,
    require_open_ticket,
)
from supportdesk.service.ops.idempotency import Answer, Once, Replay, run_once
from supportdesk.service.ops.totp import totp_factor, typed_codes
from supportdesk.service.ops.views import profile_view
from supportdesk.service.provider import Capability, FactorRecord, receipts, require

SMALL_DRIFT_S = 30


def drift_phrase(drift_s: float | None) -> str:
    """The stored offset in words an agent can read out."""
    if drift_s is None:
        return "The provider stored no clock offset for this app."
    if abs(drift_s) < SMALL_DRIFT_S:
        return "The phone's clock is right (within a code's 30 seconds)."
    side = "fast" if drift_s > 0 else "slow"
    # To the 30-second step the codes change by: finer would be false precision.
    steps = round(abs(drift_s) / SMALL_DRIFT_S) * SMALL_DRIFT_S
    return f"The phone's clock runs about {format_duration(steps)} {side}."


def locked_factor(facts: TargetFacts, factor_id: str | None) -> FactorRecord:
    """The token meant: the one named, or the user's only locked one."""
    name = facts.user.name
    if factor_id:
        found = facts.factor(factor_id)
        if found is None:
            raise NotFound(f"{name} has no active factor {factor_id!r}")
        if not found.locked:
            raise Conflict(
                f"{found.label} is not locked: {found.fail_count or 0} of "
                f"{found.max_fail or '?'} wrong codes; its codes are refused for another reason"
            )
        return found
    locked = [f for f in facts.factors if f.locked]
    if len(locked) == 1:
        return locked[0]
    if not locked:
        raise Conflict(f"none of {name}'s tokens is locked by its fail counter")
    labels = ", ".join(f"{f.id} ({f.label})" for f in locked)
    raise InvalidInput(
        f"{name} has {len(locked)} locked tokens; say which: {labels}", field="factor_id"
    )


async def _policy(
    ctx: ServiceContext,
    conn: AsyncConnection,
    who: Principal,
    action: Action,
    facts: TargetFacts,
    ticket_id: str,
    reason: str,
    request_id: str,
) -> ServiceError | None:
    """The ticket and the policy; a refusal is audited and returned."""
    await require_open_ticket(conn, ticket_id, facts.id)
    decision = decide(
        action,
        who.role,
        facts.target,
        ticket_id=ticket_id,
        reason=reason,
        checks=(),
        now=ctx.clock.now(),
    )
    if decision.allowed:
        return None
    refusal = plain_refusal(decision)
    entry = audit.account_change(
        who.actor,
        action,
        "refused",
        user_id=facts.id,
        ticket_id=ticket_id,
        reason=reason or None,
        verification=(),
        detail={"code": decision.code.value if decision.code else None},
    )
    await record(conn, entry, at=ctx.clock.now(), request_id=request_id)
    return refusal


async def _failed(
    ctx: ServiceContext,
    conn: AsyncConnection,
    who: Principal,
    action: Action,
    paper: dict[str, Any],
    detail: dict[str, Any],
    error: ServiceError,
    request_id: str,
) -> ServiceError:
    """The provider did not make the change: say so in our log, and answer its error."""
    entry = audit.account_change(
        who.actor, action, "failed", **paper, detail={**detail, "why": error.message}
    )
    await record(conn, entry, at=ctx.clock.now(), request_id=request_id)
    return error


async def unlock(
    ctx: ServiceContext,
    who: Principal,
    user_id: str,
    *,
    ticket_id: str,
    reason: str,
    factor_id: str | None,
    once: Once,
    request_id: str,
) -> Answer | Replay:
    """Reset the fail counter of the user's locked token, so right codes pass again."""
    require(ctx.provider, Capability.UNLOCK_FACTOR)
    reason = reason.strip()

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        facts = await load_target(ctx, conn, user_id)
        refused = await _policy(
            ctx, conn, who, Action.UNLOCK_FACTOR, facts, ticket_id, reason, request_id
        )
        if refused is not None:
            return refused
        factor = locked_factor(facts, factor_id)
        paper: dict[str, Any] = {
            "user_id": user_id,
            "ticket_id": ticket_id,
            "reason": reason,
            "verification": (),
        }
        detail: dict[str, Any] = {
            "factor_id": factor.id,
            "label": factor.label,
            "fail_count": factor.fail_count,
            "max_fail": factor.max_fail,
        }
        with receipts.collecting() as seen:
            try:
                await ctx.provider.unlock_factor(conn, factor)
            except ServiceError as exc:
                detail["provider"] = seen.records
                return await _failed(
                    ctx, conn, who, Action.UNLOCK_FACTOR, paper, detail, exc, request_id
                )
        entry = audit.account_change(
            who.actor,
            Action.UNLOCK_FACTOR,
            "success",
            **paper,
            detail={**detail, "provider": seen.records},
        )
        await record(conn, entry, at=now, request_id=request_id)
        return Answer(
            TokenUnlocked(
                user_id=user_id,
                factor_id=factor.id,
                factor_label=factor.label,
                fail_count_before=factor.fail_count,
                max_fail=factor.max_fail,
                unlocked_at=now,
                next_step=(
                    f"Ask {facts.user.name} to sign in again with the code the app shows now: "
                    "it is accepted. If it is not, check the phone's clock."
                ),
                profile=await profile_view(ctx, conn, user_id),
            )
        )

    return await run_once(ctx, agent=who.username, once=once, work=work)


async def resync(
    ctx: ServiceContext,
    who: Principal,
    user_id: str,
    *,
    ticket_id: str,
    reason: str,
    first_code: str,
    second_code: str,
    factor_id: str | None,
    once: Once,
    request_id: str,
) -> Answer | Replay:
    """Two consecutive codes teach the provider the phone's clock offset; the answer says
    the offset it stored. Codes that do not follow each other are an answer, not an error."""
    require(ctx.provider, Capability.RESYNC_TOTP)
    reason = reason.strip()
    first, second = typed_codes([first_code, second_code])
    for code, name in ((first, "first_code"), (second, "second_code")):
        if not code.isdigit() or len(code) not in (6, 8):
            raise InvalidInput("a code is the 6 (or 8) digits the app shows", field=name)

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        facts = await load_target(ctx, conn, user_id)
        refused = await _policy(
            ctx, conn, who, Action.RESYNC_TOTP, facts, ticket_id, reason, request_id
        )
        if refused is not None:
            return refused
        factor = totp_factor(facts.user, facts.factors, factor_id)
        paper: dict[str, Any] = {
            "user_id": user_id,
            "ticket_id": ticket_id,
            "reason": reason,
            "verification": (),
        }
        detail: dict[str, Any] = {"factor_id": factor.id, "label": factor.label}
        with receipts.collecting() as seen:
            try:
                done = await ctx.provider.resync_totp(conn, factor, first, second, now)
            except ServiceError as exc:
                detail["provider"] = seen.records
                return await _failed(
                    ctx, conn, who, Action.RESYNC_TOTP, paper, detail, exc, request_id
                )
        after = (await ctx.provider.factors_by_id(conn, [factor.id])).get(factor.id)
        drift = after.clock_offset_s if after is not None and done else None
        entry = audit.account_change(
            who.actor,
            Action.RESYNC_TOTP,
            "success" if done else "failed",
            **paper,
            detail={
                **detail,
                "resynced": done,
                "drift_s": round(drift) if drift is not None else None,
                "provider": seen.records,
            },
        )
        await record(conn, entry, at=now, request_id=request_id)
        name = facts.user.name
        if done:
            phrase = drift_phrase(drift)
            step = (
                f"{name}'s codes are accepted again. The two codes read out and the next one "
                "are spent: wait for a fresh code before signing in. Setting the phone's "
                "clock to automatic keeps it from drifting again."
            )
        else:
            phrase = "The two codes do not follow each other on this app: nothing changed."
            step = (
                f"Ask {name} to read two codes in a row, the second after the first one "
                "changes, from the app named here."
            )
        return Answer(
            TotpResynced(
                user_id=user_id,
                factor_id=factor.id,
                factor_label=factor.label,
                resynced=done,
                drift_s=drift,
                phrase=phrase,
                next_step=step,
                profile=await profile_view(ctx, conn, user_id),
            )
        )

    return await run_once(ctx, agent=who.username, once=once, work=work)
