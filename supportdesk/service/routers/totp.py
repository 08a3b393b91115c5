"""Branch 2 of the tree: an authenticator code that is not accepted.

Diagnose measures the user's phone clock from the codes they read out and/or
the time their phone shows, and answers with the article's verdict. Because it
checks codes against the user's secret it is an oracle for codes: each check
with codes counts against a per-user limit (whoever the agent), and every
diagnosis is audited as a sensitive read. Only figures and advice leave.

Re-enrol retires the app's secret so the old codes stop working and the user
scans a new QR code at the next sign-in; the support policy decides what it
needs. A factor challenge or an e-mail code counts only when the service
checked it (`recovery_actions.resolve_verification`, as for the lost-phone
actions), and never one answered by the app being re-enrolled. On a
sensitive account it is filed for a team lead like the lost-phone actions
(`recovery_actions.file_approval`), and the lead's approval carries it out
through the same code (`recovery_actions.carry_out`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.recovery import RecoveryResult
from supportdesk.api.totp import (
    CodeCheck,
    DriftFigures,
    PhoneTimeCheck,
    TotpDiagnoseRequest,
    TotpDiagnosis,
    TotpReenrolment,
    TotpReenrolRequest,
)
from supportdesk.rules.clock_verdict import Verdict, verdict_for
from supportdesk.rules.drift import (
    CodeFormatError,
    DriftRange,
    DriftResult,
    find_drift,
    format_duration,
)
from supportdesk.rules.phone_time import PhoneTimeError, PhoneTimeReading, parse_phone_time
from supportdesk.rules.policy import Action, Decision, Outcome, RefusalCode, Target, decide
from supportdesk.service.audit import append_audit
from supportdesk.service.db.schema import tickets
from supportdesk.service.deps import Ctx, CurrentAgent, RequestId
from supportdesk.service.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    ServiceError,
)
from supportdesk.service.idempotency import Answer, IdempotencyKey, request_hash, run_once
from supportdesk.service.ratelimit import Limit, take
from supportdesk.service.recovery_actions import (
    AUDIT_NAMES,
    METHOD_WORDS,
    file_approval,
    load_target,
    next_sign_in,
    pending_refusal,
    resolve_verification,
    retire_app,
)
from supportdesk.service.security import TOTP_STEP_S
from supportdesk.service.views import active_factor_rows, profile_view, user_row

router = APIRouter(prefix="/v1/users/{user_id}/totp", tags=["authenticator"])

WINDOW_STEPS = 240
"""±2 h of 30-second steps: wide enough for a clock set an hour off by hand."""

DIAGNOSE_WINDOW = timedelta(minutes=10)

# -- shared lookups -------------------------------------------------------------------


async def _open_ticket_for(conn: AsyncConnection, ticket_id: str, user_id: str) -> None:
    """The ticket must be the user's and still open: every read and change answers one."""
    row = (
        await conn.execute(
            select(tickets.c.user_id, tickets.c.status).where(tickets.c.id == ticket_id.strip())
        )
    ).first()
    if row is None:
        raise InvalidInput(f"no ticket {ticket_id!r}", field="ticket_id")
    if row.user_id != user_id:
        raise InvalidInput(f"ticket {ticket_id} is about another user", field="ticket_id")
    if row.status != "open":
        raise Conflict(f"ticket {ticket_id} is already resolved")


def _target(user: RowMapping, active: Sequence[RowMapping]) -> Target:
    return Target(
        kind=user["kind"],
        is_admin=user["is_admin"],
        is_staff=user["is_staff"],
        last_mfa_reset_at=user["last_mfa_reset_at"],
        factor_count=len(active),
    )


def _totp_factor(
    user: RowMapping, active: Sequence[RowMapping], factor_id: str | None
) -> RowMapping:
    """The authenticator factor meant: the one named, or the user's only one."""
    name = user["name"]
    if factor_id:
        for factor in active:
            if factor["id"] == factor_id:
                if factor["type"] != "totp" or not factor["totp_secret"]:
                    kind = METHOD_WORDS.get(factor["type"], factor["type"])
                    raise InvalidInput(
                        f"factor {factor_id} is {kind}, not an authenticator app",
                        field="factor_id",
                    )
                return factor
        raise NotFound(f"{name} has no active factor {factor_id!r}")
    apps = [f for f in active if f["type"] == "totp" and f["totp_secret"]]
    if len(apps) == 1:
        return apps[0]
    if len(apps) > 1:
        labels = ", ".join(f"{f['id']} ({f['label']})" for f in apps)
        raise InvalidInput(
            f"{name} has {len(apps)} authenticator apps; say which: {labels}", field="factor_id"
        )
    if user["enrol_required"] == "totp":
        raise Conflict(
            f"{name}'s authenticator app was already retired: a new QR code is shown"
            " at the next sign-in"
        )
    raise Conflict(f"{name} has no authenticator app set up")


def _app_id(user: RowMapping, active: Sequence[RowMapping], factor_id: str | None) -> str | None:
    """The id of the app a re-enrolment would retire, when it can be told yet.

    Asked before the policy so its refusals keep their order; when the app cannot be
    told, the request fails later on that very question.
    """
    try:
        return str(_totp_factor(user, active, factor_id)["id"])
    except ServiceError:
        return factor_id


def _policy_refusal(decision: Decision) -> ServiceError:
    """The policy's answer as an API error, with its own sentences as the message."""
    message = " ".join(decision.reasons)
    fields = {
        RefusalCode.TICKET_REQUIRED: "ticket_id",
        RefusalCode.REASON_REQUIRED: "reason",
        RefusalCode.VERIFICATION_REQUIRED: "verification",
    }
    if decision.code in fields:
        return InvalidInput(message, field=fields[decision.code])
    if decision.code is RefusalCode.SERVICE_ACCOUNT:
        return Conflict(message)
    return Forbidden(message)


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


def _audit_detail(
    factor_id: str, verdict: Verdict, codes: DriftResult | None, phone: bool
) -> dict[str, Any]:
    """What the log keeps of a diagnosis: figures, never the codes typed."""
    detail: dict[str, Any] = {
        "factor_id": factor_id,
        "codes": codes.codes_used if codes else 0,
        "phone_time": phone,
        "verdict": verdict.kind,
        "basis": verdict.basis,
    }
    if codes is not None:
        detail["matched"] = codes.matched
        detail["unique"] = codes.unique
    if verdict.drift is not None:
        detail["drift_s"] = round(verdict.drift.center_s)
    return detail


@router.post("/diagnose", response_model=TotpDiagnosis)
async def diagnose(
    user_id: str, body: TotpDiagnoseRequest, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> TotpDiagnosis:
    """Measure the phone's clock and say what is wrong; 429 when codes are tried too often."""
    phone_text = (body.phone_time or "").strip()
    if not body.codes and not phone_text:
        raise InvalidInput(
            "type the code the user reads from the app, or the time their phone shows",
            field="codes",
        )
    now = ctx.clock.now()
    refusal: ServiceError | None = None
    diagnosis: TotpDiagnosis | None = None
    async with ctx.engine.begin() as conn:
        user = await user_row(conn, user_id)
        await _open_ticket_for(conn, body.ticket_id, user_id)
        active = await active_factor_rows(conn, user_id)
        decision = decide(
            Action.DIAGNOSE_TOTP,
            agent.role,
            _target(user, active),
            ticket_id=body.ticket_id,
            reason=None,
            checks=(),
            now=now,
        )
        if not decision.allowed:
            raise _policy_refusal(decision)
        factor = _totp_factor(user, active, body.factor_id)
        zone, zone_name = _user_zone(user["timezone"])
        phone: PhoneTimeReading | None = None
        if phone_text:
            try:
                phone = parse_phone_time(phone_text, now, zone)
            except PhoneTimeError as exc:
                raise InvalidInput(str(exc), field="phone_time") from exc
        codes: DriftResult | None = None
        if body.codes:
            # Only code checks spend the limit: they are what reads the secret.
            limit = Limit(ctx.settings.diagnose_per_10min, DIAGNOSE_WINDOW, "code checks")
            refused = await take(conn, f"totp_diagnose:{user_id}", now, [limit])
            if refused is not None:
                wait, hit = refused
                await append_audit(
                    conn,
                    at=now,
                    actor=agent.actor,
                    action="totp.diagnose",
                    outcome="rate_limited",
                    target_user=user_id,
                    ticket_id=body.ticket_id,
                    detail={"factor_id": factor["id"], "retry_after_s": wait},
                    request_id=rid,
                )
                refusal = RateLimited(
                    f"{hit.count} {hit.description} for {user['name']} in 10 min is the limit:"
                    f" try again in {format_duration(wait)}",
                    retry_after_s=wait,
                )
            else:
                try:
                    # A format error raised here rolls the hit back: nothing was checked.
                    codes = find_drift(
                        factor["totp_secret"],
                        body.codes,
                        now,
                        window_steps=WINDOW_STEPS,
                        step=TOTP_STEP_S,
                    )
                except CodeFormatError as exc:
                    raise InvalidInput(str(exc), field="codes") from exc
        if refusal is None:
            verdict = verdict_for(codes, phone)
            await append_audit(
                conn,
                at=now,
                actor=agent.actor,
                action="totp.diagnose",
                outcome="success",
                target_user=user_id,
                ticket_id=body.ticket_id,
                detail=_audit_detail(factor["id"], verdict, codes, phone is not None),
                request_id=rid,
            )
            diagnosis = TotpDiagnosis(
                user_id=user_id,
                factor_id=factor["id"],
                factor_label=factor["label"],
                ticket_id=body.ticket_id,
                checked_at=now,
                user_timezone=zone_name,
                kind=verdict.kind,
                headline=verdict.headline,
                steps=list(verdict.steps),
                notes=list(verdict.notes),
                certain=verdict.certain,
                basis=verdict.basis,
                drift=_figures(verdict.drift) if verdict.drift is not None else None,
                codes=_code_check(codes) if codes is not None else None,
                phone_time=_phone_check(phone) if phone is not None else None,
            )
    if refusal is not None:
        raise refusal
    assert diagnosis is not None
    return diagnosis


# -- re-enrol ---------------------------------------------------------------------------


@router.post(
    "/reenrol",
    response_model=TotpReenrolment,
    responses={202: {"model": RecoveryResult, "description": "stored for a lead's approval"}},
)
async def reenrol(
    user_id: str,
    body: TotpReenrolRequest,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Retire the app's secret: old codes fail at once, and a new QR code comes at next sign-in.

    On a sensitive account (admin, support staff, reset in the last 7 days) the request is
    stored for a team lead instead (202 with the approval); the lead's approval carries it
    out (`/v1/approvals/{id}/approve`).
    """
    fingerprint = request_hash("POST", request.url.path, body)
    reason = body.reason.strip()

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        facts = await load_target(conn, user_id)
        await _open_ticket_for(conn, body.ticket_id, user_id)
        # As for the lost-phone actions: a factor challenge or an e-mail code counts only
        # through a challenge the service checked; one answered by the very app being
        # re-enrolled proves nothing (its secret is the thing in doubt).
        verification = await resolve_verification(
            conn,
            agent=agent.username,
            user_id=user_id,
            attested=[c.value for c in body.verification],
            verification_ids=body.verification_ids,
            now=now,
            removing_factor=_app_id(facts.user, facts.factors, body.factor_id),
            removing_as="re-enrolled",
        )
        decision = decide(
            Action.REENROL_TOTP,
            agent.role,
            facts.target,
            ticket_id=body.ticket_id,
            reason=reason,
            checks=verification.checks,
            now=now,
        )
        audit: dict[str, Any] = {
            "at": now,
            "actor": agent.actor,
            "action": AUDIT_NAMES[Action.REENROL_TOTP],
            "target_user": user_id,
            "ticket_id": body.ticket_id,
            "reason": reason or None,
            "verification": verification.names,
            "request_id": rid,
        }
        ids = {"verification_ids": verification.verification_ids}
        if verification.problems and decision.code is not RefusalCode.SERVICE_ACCOUNT:
            problem = InvalidInput(" ".join(verification.problems), field="verification_ids")
            await append_audit(
                conn,
                **audit,
                outcome="refused",
                detail={**ids, "code": "verification", "why": problem.message},
            )
            return problem
        if decision.refused:
            code = decision.code.value if decision.code else None
            await append_audit(conn, **audit, outcome="refused", detail={**ids, "code": code})
            return _policy_refusal(decision)
        factor = _totp_factor(facts.user, facts.factors, body.factor_id)
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            waiting = await pending_refusal(conn, Action.REENROL_TOTP, user_id, now)
            if waiting is not None:
                await append_audit(
                    conn,
                    **audit,
                    outcome="refused",
                    detail={
                        **ids,
                        "factor_id": factor["id"],
                        "code": "pending",
                        "why": waiting.message,
                    },
                )
                return waiting
            return await file_approval(
                conn,
                action=Action.REENROL_TOTP,
                actor=agent.actor,
                facts=facts,
                ticket_id=body.ticket_id.strip(),
                reason=reason,
                checks=verification.names,
                verification_ids=verification.verification_ids,
                factor_id=str(factor["id"]),
                decision=decision,
                now=now,
                request_id=rid,
                detail={**ids, "factor_id": factor["id"], "label": factor["label"]},
            )
        retired = await retire_app(conn, facts.user, facts.factors, factor, now)
        await append_audit(
            conn,
            **audit,
            outcome="success",
            detail={
                **ids,
                "factor_id": factor["id"],
                "label": factor["label"],
                "remaining_methods": retired.remaining_methods,
                "mfa_status": retired.mfa_status,
            },
        )
        return Answer(
            TotpReenrolment(
                user_id=user_id,
                retired_factor_id=factor["id"],
                retired_label=factor["label"],
                retired_at=now,
                enrol_required="totp",
                mfa_status=retired.mfa_status,  # type: ignore[arg-type]
                remaining_methods=retired.remaining_methods,  # type: ignore[arg-type]
                next_sign_in=next_sign_in(facts.user["name"], retired.remaining_methods),
                profile=await profile_view(conn, user_id),
            )
        )

    return await run_once(
        ctx, agent=agent.username, key=idempotency_key, fingerprint=fingerprint, work=work
    )
