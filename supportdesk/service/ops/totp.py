"""Branch 2 of the tree: an authenticator code that is not accepted.

Diagnose measures the user's phone clock from the codes they read out and/or
the time their phone shows, and answers with the article's verdict. Because it
checks codes against the user's secret it is an oracle for codes: each check
with codes counts against a per-user limit (whoever the agent), and every
diagnosis is audited as a sensitive read. Only figures and advice leave.

Re-enrol retires the app's secret so the old codes stop working and the user
scans a new QR code at the next sign-in; the support policy decides what it
needs. A factor challenge or an e-mail code counts only when the service
checked it (`ops.verification`, as for the lost-phone actions), and never one
answered by the app being re-enrolled. On a sensitive account it is filed for a
team lead like the lost-phone actions (`ops.filing`), and the lead's approval
carries it out through the same code (`ops.changes.carry_out`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.totp import (
    CodeCheck,
    DriftFigures,
    PhoneTimeCheck,
    TotpDiagnosis,
    TotpReenrolment,
)
from supportdesk.rules.clock_verdict import verdict_for
from supportdesk.rules.codes import normalise_code
from supportdesk.rules.drift import CodeFormatError, DriftRange, DriftResult, format_duration
from supportdesk.rules.factor_words import method_words
from supportdesk.rules.fail_counter import locked_verdict
from supportdesk.rules.phone_time import PhoneTimeError, PhoneTimeReading, parse_phone_time
from supportdesk.rules.policy import Action, Outcome, RefusalCode, decide
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, InvalidInput, NotFound, RateLimited, ServiceError
from supportdesk.service.ops.changes import carry_out, next_sign_in
from supportdesk.service.ops.common import (
    Principal,
    load_target,
    plain_refusal,
    require_open_ticket,
)
from supportdesk.service.ops.filing import file_approval, pending_refusal
from supportdesk.service.ops.idempotency import Answer, Once, Replay, run_once
from supportdesk.service.ops.verification import resolve_verification
from supportdesk.service.ops.views import profile_view
from supportdesk.service.provider import Capability, FactorRecord, UserRecord, require
from supportdesk.service.store.ratelimit import Limit, take

WINDOW_STEPS = 240
"""±2 h of 30-second steps: wide enough for a clock set an hour off by hand."""

DIAGNOSE_WINDOW = timedelta(minutes=10)


def totp_factor(
    user: UserRecord, active: Sequence[FactorRecord], factor_id: str | None
) -> FactorRecord:
    """The authenticator factor meant: the one named, or the user's only one."""
    name = user.name
    if factor_id:
        for factor in active:
            if factor.id == factor_id:
                if factor.type != "totp" or not factor.usable:
                    raise InvalidInput(
                        f"factor {factor_id} is {method_words(factor.type)}, not an "
                        "authenticator app",
                        field="factor_id",
                    )
                return factor
        raise NotFound(f"{name} has no active factor {factor_id!r}")
    apps = [f for f in active if f.type == "totp" and f.usable]
    if len(apps) == 1:
        return apps[0]
    if len(apps) > 1:
        labels = ", ".join(f"{f.id} ({f.label})" for f in apps)
        raise InvalidInput(
            f"{name} has {len(apps)} authenticator apps; say which: {labels}", field="factor_id"
        )
    if user.enrol_required == "totp":
        raise Conflict(
            f"{name}'s authenticator app was already retired: a new QR code is shown"
            " at the next sign-in"
        )
    raise Conflict(f"{name} has no authenticator app set up")


def _app_id(user: UserRecord, active: Sequence[FactorRecord], factor_id: str | None) -> str | None:
    """The id of the app a re-enrolment would retire, when it can be told yet.

    Asked before the policy so its refusals keep their order; when the app cannot be
    told, the request fails later on that very question.
    """
    try:
        return totp_factor(user, active, factor_id).id
    except ServiceError:
        return factor_id


def _user_zone(name: str) -> tuple[tzinfo, str]:
    """The zone the user's phone time is read in; UTC if the stored one is unknown."""
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC"), "UTC"


# -- diagnose ---------------------------------------------------------------------------


def _figures(drift: DriftRange) -> DriftFigures:
    return DriftFigures(
        low_s=drift.low_s, high_s=drift.high_s, center_s=drift.center_s, phrase=drift.describe()
    )


def _code_check(result: DriftResult) -> CodeCheck:
    drift = result.drift
    return CodeCheck(
        codes_used=result.codes_used,
        matched=result.matched,
        unique=result.unique,
        offset_steps=result.offset_steps,
        other_matches=max(0, len(result.candidates) - 1),
        window_s=result.window_steps * result.step,
        drift=_figures(drift) if drift is not None else None,
        phrase=result.phrase,
    )


def _phone_check(reading: PhoneTimeReading) -> PhoneTimeCheck:
    return PhoneTimeCheck(
        text=reading.text,
        shown_at=reading.phone_time,
        has_seconds=reading.has_seconds,
        has_date=reading.has_date,
        has_zone=reading.has_zone,
        drift=_figures(reading.drift),
    )


def typed_codes(codes: Sequence[str]) -> list[str]:
    """Codes as the shared normaliser reads them ("451 909", full-width digits); one of
    the wrong shape stays as typed, so the drift check can say which one and why."""
    return [normalise_code(code) or code for code in codes]


async def diagnose(
    ctx: ServiceContext,
    who: Principal,
    user_id: str,
    *,
    ticket_id: str,
    codes: Sequence[str],
    phone_time: str | None,
    factor_id: str | None,
    request_id: str,
) -> TotpDiagnosis:
    """Measure the phone's clock and say what is wrong; 429 when codes are tried too often."""
    require(ctx.provider, Capability.MEASURE_DRIFT)
    phone_text = (phone_time or "").strip()
    if not codes and not phone_text:
        raise InvalidInput(
            "type the code the user reads from the app, or the time their phone shows",
            field="codes",
        )
    now = ctx.clock.now()
    refusal: ServiceError | None = None
    diagnosis: TotpDiagnosis | None = None
    async with ctx.engine.begin() as conn:
        facts = await load_target(ctx, conn, user_id)
        user = facts.user
        await require_open_ticket(conn, ticket_id, user_id)
        decision = decide(
            Action.DIAGNOSE_TOTP,
            who.role,
            facts.target,
            ticket_id=ticket_id,
            reason=None,
            checks=(),
            now=now,
        )
        if not decision.allowed:
            raise plain_refusal(decision)
        factor = totp_factor(user, facts.factors, factor_id)
        zone, zone_name = _user_zone(user.timezone)
        phone: PhoneTimeReading | None = None
        if phone_text:
            try:
                phone = parse_phone_time(phone_text, now, zone)
            except PhoneTimeError as exc:
                raise InvalidInput(str(exc), field="phone_time") from exc
        measured: DriftResult | None = None
        # A token its fail counter locked refuses every code: no clock question helps.
        if codes and not factor.locked:
            # Only code checks spend the limit: they are what reads the secret.
            limit = Limit(ctx.settings.diagnose_per_10min, DIAGNOSE_WINDOW, "code checks")
            refused = await take(conn, f"totp_diagnose:{user_id}", now, [limit])
            if refused is not None:
                wait, hit = refused
                entry = audit.totp_diagnose_limited(
                    who.actor,
                    user_id=user_id,
                    ticket_id=ticket_id,
                    factor_id=factor.id,
                    retry_after_s=wait,
                )
                await record(conn, entry, at=now, request_id=request_id)
                refusal = RateLimited(
                    f"{hit.count} {hit.description} for {user.name} in 10 min is the limit:"
                    f" try again in {format_duration(wait)}",
                    retry_after_s=wait,
                )
            else:
                try:
                    # A format error raised here rolls the hit back: nothing was checked.
                    measured = await ctx.provider.measure_drift(
                        conn, factor, typed_codes(codes), now, WINDOW_STEPS
                    )
                except CodeFormatError as exc:
                    raise InvalidInput(str(exc), field="codes") from exc
        if refusal is None:
            verdict = verdict_for(measured, phone)
            if factor.locked:
                verdict = locked_verdict(factor.fail_count, factor.max_fail)
            entry = audit.totp_diagnosed(
                who.actor,
                user_id=user_id,
                ticket_id=ticket_id,
                factor_id=factor.id,
                codes=measured.codes_used if measured else 0,
                phone_time=phone is not None,
                verdict=verdict.kind,
                basis=verdict.basis,
                matched=measured.matched if measured else None,
                unique=measured.unique if measured else None,
                drift_s=round(verdict.drift.center_s) if verdict.drift is not None else None,
            )
            await record(conn, entry, at=now, request_id=request_id)
            diagnosis = TotpDiagnosis(
                user_id=user_id,
                factor_id=factor.id,
                factor_label=factor.label,
                ticket_id=ticket_id,
                checked_at=now,
                user_timezone=zone_name,
                kind=verdict.kind,
                headline=verdict.headline,
                steps=list(verdict.steps),
                notes=list(verdict.notes),
                certain=verdict.certain,
                basis=verdict.basis,
                drift=_figures(verdict.drift) if verdict.drift is not None else None,
                codes=_code_check(measured) if measured is not None else None,
                phone_time=_phone_check(phone) if phone is not None else None,
            )
    if refusal is not None:
        raise refusal
    assert diagnosis is not None
    return diagnosis


# -- re-enrol ---------------------------------------------------------------------------


async def reenrol(
    ctx: ServiceContext,
    who: Principal,
    user_id: str,
    *,
    ticket_id: str,
    reason: str,
    checks: Sequence[str],
    verification_ids: Sequence[str],
    factor_id: str | None,
    once: Once,
    request_id: str,
) -> Answer | Replay:
    """Retire the app's secret: old codes fail at once, and a new QR code comes at next
    sign-in; on a sensitive account, a request for a lead instead (202)."""
    require(ctx.provider, Capability.RETIRE_TOTP)
    reason = reason.strip()

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        facts = await load_target(ctx, conn, user_id)
        await require_open_ticket(conn, ticket_id, user_id)
        # As for the lost-phone actions: a factor challenge or an e-mail code counts only
        # through a challenge the service checked; one answered by the very app being
        # re-enrolled proves nothing (its secret is the thing in doubt).
        verification = await resolve_verification(
            conn,
            agent=who.username,
            user_id=user_id,
            attested=checks,
            verification_ids=verification_ids,
            now=now,
            removing_factor=_app_id(facts.user, facts.factors, factor_id),
            removing_as="re-enrolled",
        )
        decision = decide(
            Action.REENROL_TOTP,
            who.role,
            facts.target,
            ticket_id=ticket_id,
            reason=reason,
            checks=verification.checks,
            now=now,
        )
        paper: dict[str, Any] = {
            "user_id": user_id,
            "ticket_id": ticket_id,
            "reason": reason or None,
            "verification": verification.names,
        }
        ids = {"verification_ids": verification.verification_ids}

        async def refused(error: ServiceError, **detail: object) -> ServiceError:
            entry = audit.account_change(
                who.actor, Action.REENROL_TOTP, "refused", **paper, detail={**ids, **detail}
            )
            await record(conn, entry, at=now, request_id=request_id)
            return error

        if verification.problems and decision.code is not RefusalCode.SERVICE_ACCOUNT:
            problem = InvalidInput(" ".join(verification.problems), field="verification_ids")
            return await refused(problem, code="verification", why=problem.message)
        if decision.refused:
            code = decision.code.value if decision.code else None
            return await refused(plain_refusal(decision), code=code)
        factor = totp_factor(facts.user, facts.factors, factor_id)
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            waiting = await pending_refusal(conn, Action.REENROL_TOTP, user_id, now)
            if waiting is not None:
                return await refused(
                    waiting, factor_id=factor.id, code="pending", why=waiting.message
                )
            return await file_approval(
                ctx,
                conn,
                action=Action.REENROL_TOTP,
                actor=who.actor,
                facts=facts,
                ticket_id=ticket_id.strip(),
                reason=reason,
                checks=verification.names,
                verification_ids=verification.verification_ids,
                factor_id=factor.id,
                decision=decision,
                now=now,
                request_id=request_id,
                detail={**ids, "factor_id": factor.id, "label": factor.label},
            )
        effect = await carry_out(
            ctx,
            conn,
            Action.REENROL_TOTP,
            facts,
            factor_id=factor.id,
            issued_by=who.username,
            now=now,
        )
        entry = audit.account_change(
            who.actor,
            Action.REENROL_TOTP,
            "success",
            **paper,
            detail={
                **ids,
                "factor_id": factor.id,
                "label": factor.label,
                "remaining_methods": effect.extra["remaining_methods"],
                "mfa_status": effect.extra["mfa_status"],
            },
        )
        await record(conn, entry, at=now, request_id=request_id)
        return Answer(
            TotpReenrolment(
                user_id=user_id,
                retired_factor_id=factor.id,
                retired_label=factor.label,
                retired_at=now,
                enrol_required="totp",
                mfa_status=effect.extra["mfa_status"],
                remaining_methods=effect.extra["remaining_methods"],
                next_sign_in=next_sign_in(facts.user.name, effect.extra["remaining_methods"]),
                profile=await profile_view(ctx, conn, user_id),
            )
        )

    return await run_once(ctx, agent=who.username, once=once, work=work)
