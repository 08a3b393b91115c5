"""Branch 1, "SMS code not received": the number on file, the stated number, resends,
the delivery log and the way out to the authenticator app.

Every endpoint needs an agent, except ``POST /v1/enduser/signin/sms``: that is the end
user's own "Resend code" on the sign-in page, public like the rest of end-user sign-in
(its credential is the sign-in challenge the password step handed out).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from supportdesk.api.models import UserProfile
from supportdesk.api.sms import (
    CompareNumber,
    EndUserSmsRequest,
    EndUserSmsSent,
    NumberCheck,
    ResendCode,
    SmsDelivery,
    SmsFactorFacts,
    SmsOverview,
    SmsResent,
    SwitchToAuthenticator,
)
from supportdesk.rules.phone import PhoneParseError, same_number
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.db.schema import signin_challenges, users
from supportdesk.service.deps import Ctx, CurrentAgent, RequestId
from supportdesk.service.errors import (
    Conflict,
    InvalidInput,
    RateLimited,
    ServiceError,
    Unauthorised,
)
from supportdesk.service.ratelimit import take
from supportdesk.service.sms.codes import (
    SendOrder,
    check_ticket,
    compare_bucket,
    delivery_log,
    send_bucket,
    send_code,
    sms_factor,
    wait_s,
)
from supportdesk.service.sms.policy import (
    analyse_on_file,
    compare_limits,
    facts,
    limit_words,
    refusal,
    send_limits,
)
from supportdesk.service.views import active_factor_rows, profile_view, user_row

router = APIRouter(prefix="/v1", tags=["sms"])

_PARSE_FIELDS = {"unknown_region": "region", "on_file_unreadable": "factor_id"}


@router.get("/users/{user_id}/sms", response_model=SmsOverview)
async def overview(user_id: str, _agent: CurrentAgent, ctx: Ctx) -> SmsOverview:
    """The SMS methods on file, analysed and masked, and when the next code may go."""
    now = ctx.clock.now()
    async with ctx.engine.connect() as conn:
        user = await user_row(conn, user_id)
        rows = await active_factor_rows(conn, user_id)
        wait = await wait_s(conn, send_bucket(user_id), now, send_limits(ctx.settings))
    found: list[SmsFactorFacts] = []
    for row in rows:
        if row["type"] != "sms":
            continue
        analysis = analyse_on_file(row["phone_e164"])
        why = refusal(analysis)
        found.append(
            SmsFactorFacts(
                factor_id=row["id"],
                label=row["label"],
                number=facts(analysis) if analysis else None,
                can_send=why is None,
                refusal=why,
            )
        )
    return SmsOverview(
        user_id=user_id,
        factors=found,
        next_send_in_s=wait,
        limits=limit_words(ctx.settings),
        code_lifetime_s=ctx.settings.sms_code_s,
        has_authenticator=any(r["type"] == "totp" for r in rows),
        enrol_required=user["enrol_required"],
    )


@router.post("/users/{user_id}/sms/compare", response_model=NumberCheck)
async def compare_number(
    user_id: str, body: CompareNumber, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> NumberCheck:
    """Is the number the user states the one on file? Answers without revealing it.

    National notation is read in the user's region unless the agent names another.
    Audited (it confirms digits of the number on file) and rate-limited for that reason.
    """
    now = ctx.clock.now()
    refused: ServiceError | None = None
    check: NumberCheck | None = None
    async with ctx.engine.begin() as conn:
        user = await user_row(conn, user_id)
        await check_ticket(conn, body.ticket_id, user_id)
        factor = await sms_factor(conn, user_id, body.factor_id)
        try:
            comparison = same_number(
                body.number, factor["phone_e164"] or "", body.region or user["region"]
            )
        except PhoneParseError as exc:
            field = _PARSE_FIELDS.get(exc.code, "number")
            what = "the number on file" if field == "factor_id" else "that number"
            raise InvalidInput(f"{what} cannot be read: {exc.reason}", field=field) from None
        audit: dict[str, Any] = {
            "at": now,
            "actor": agent.actor,
            "action": "sms.compare_number",
            "target_user": user_id,
            "ticket_id": body.ticket_id,
            "request_id": rid,
        }
        limited = await take(conn, compare_bucket(user_id), now, compare_limits(ctx.settings))
        if limited is not None:
            wait, limit = limited
            await append_audit(
                conn,
                **audit,
                outcome="rate_limited",
                detail={"limit": limit.description, "retry_after_s": wait},
            )
            refused = RateLimited(f"{limit.description}: try again in {wait} s", retry_after_s=wait)
        else:
            await append_audit(
                conn,
                **audit,
                outcome=comparison.verdict,
                detail={"factor_id": factor["id"], "stated": comparison.stated.masked},
            )
            check = NumberCheck(
                factor_id=factor["id"],
                verdict=comparison.verdict,
                matches=comparison.matches,
                stated=facts(comparison.stated),
            )
    if refused is not None:
        raise refused
    assert check is not None
    return check


@router.post("/users/{user_id}/sms/resend", response_model=SmsResent)
async def resend_code(
    user_id: str, body: ResendCode, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> SmsResent:
    """Text a fresh code (the last one dies); 429 with Retry-After inside the limits.

    A provider refusal is not an error of this call: the answer carries the delivery,
    marked failed with the provider's reason, for the agent to read.
    """
    return await send_code(
        ctx,
        SendOrder(
            user_id=user_id,
            factor_id=body.factor_id,
            actor=agent.actor,
            ticket_id=body.ticket_id,
            reason=(body.reason or "").strip() or "user reports the text code did not arrive",
            request_id=rid,
        ),
    )


@router.get("/users/{user_id}/sms/deliveries", response_model=list[SmsDelivery])
async def deliveries(
    user_id: str,
    _agent: CurrentAgent,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[SmsDelivery]:
    """Newest first, each in its current state (reading the log advances it)."""
    return await delivery_log(ctx, user_id, limit)


@router.post("/users/{user_id}/sms/switch-to-authenticator", response_model=UserProfile)
async def switch_to_authenticator(
    user_id: str, body: SwitchToAuthenticator, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> UserProfile:
    """The article's way out: the user sets up an authenticator app at next sign-in.

    The SMS method stays as a backup. Refused for service accounts (no interactive MFA)
    and for users who already have an authenticator app (they should choose it).
    """
    now = ctx.clock.now()
    refused: ServiceError | None = None
    profile: UserProfile | None = None
    async with ctx.engine.begin() as conn:
        user = await user_row(conn, user_id)
        await check_ticket(conn, body.ticket_id, user_id)
        apps = [f for f in await active_factor_rows(conn, user_id) if f["type"] == "totp"]
        audit: dict[str, Any] = {
            "at": now,
            "actor": agent.actor,
            "action": "sms.switch_to_authenticator",
            "target_user": user_id,
            "ticket_id": body.ticket_id,
            "reason": body.reason.strip(),
            "request_id": rid,
        }
        if user["kind"] == "service":
            why = (
                "a service account cannot use interactive MFA: keep its credentials in a "
                "credential manager that supports 2FA codes"
            )
            await append_audit(conn, **audit, outcome="refused", detail={"why": why})
            refused = InvalidInput(why)
        elif apps:
            why = (
                f"this user already has an authenticator app ({apps[0]['label']}): "
                "ask them to choose it at sign-in"
            )
            await append_audit(conn, **audit, outcome="refused", detail={"why": why})
            refused = Conflict(why)
        elif user["enrol_required"] == "totp":
            await append_audit(
                conn, **audit, outcome="unchanged", detail={"enrol_required": "totp"}
            )
        else:
            await conn.execute(
                users.update().where(users.c.id == user_id).values(enrol_required="totp")
            )
            await append_audit(
                conn,
                **audit,
                outcome="success",
                detail={"enrol_required": "totp", "before": user["enrol_required"]},
            )
        if refused is None:
            profile = await profile_view(conn, user_id)
    if refused is not None:
        raise refused
    assert profile is not None
    return profile


@router.post("/enduser/signin/sms", response_model=EndUserSmsSent, tags=["end-user sign-in"])
async def enduser_send_code(body: EndUserSmsRequest, ctx: Ctx, rid: RequestId) -> EndUserSmsSent:
    """Public: the user's own "Resend code", allowed by a live sign-in challenge."""
    now = ctx.clock.now()
    async with ctx.engine.connect() as conn:
        challenge = (
            await conn.execute(
                select(signin_challenges).where(signin_challenges.c.id == body.challenge_id)
            )
        ).first()
        if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
            raise Unauthorised("the sign-in has expired: start again")
        user = await user_row(conn, challenge.user_id)
    if user["mfa_status"] == "setup_required":
        raise InvalidInput("this account has no verification method set up yet")
    sent: SmsResent = await send_code(
        ctx,
        SendOrder(
            user_id=user["id"],
            factor_id=body.factor_id,
            actor=Actor(name=user["id"], role="enduser"),
            ticket_id=None,
            reason="requested on the sign-in page",
            request_id=rid,
            action="sms.send",
        ),
    )
    return EndUserSmsSent(
        phone_masked=sent.delivery.phone_masked,
        status=sent.delivery.status,
        code_expires_at=sent.code_expires_at,
        reason=sent.delivery.reason,
    )
