"""Branch 1, "SMS code not received": the number on file, the stated number, the delivery
log and the way out to the authenticator app (texting a code: `ops.sms_send`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import UserProfile
from supportdesk.api.sms import (
    NumberCheck,
    SmsDelivery,
    SmsFactorFacts,
    SmsOverview,
)
from supportdesk.rules.phone import PhoneParseError, same_number
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import (
    Conflict,
    InvalidInput,
    RateLimited,
    ServiceError,
)
from supportdesk.service.ops.common import Principal, require_users_ticket, user_of
from supportdesk.service.ops.views import profile_view
from supportdesk.service.provider import (
    Capability,
    FactorRecord,
    SmsDeliveryRecord,
    require,
)
from supportdesk.service.sms.gateway import FINAL_STATUSES
from supportdesk.service.sms.policy import (
    analyse_on_file,
    compare_limits,
    facts,
    limit_words,
    refusal,
    send_limits,
)
from supportdesk.service.store.engine import reading
from supportdesk.service.store.ratelimit import take, wait_s

_PARSE_FIELDS = {"unknown_region": "region", "on_file_unreadable": "factor_id"}


class SmsRefused(InvalidInput):
    """The number cannot be texted (country off the list, a landline, unreadable)."""

    code = "sms_refused"


def send_bucket(user_id: str) -> str:
    return f"sms-send:{user_id}"


def compare_bucket(user_id: str) -> str:
    return f"sms-compare:{user_id}"


async def sms_factor(
    ctx: ServiceContext, conn: AsyncConnection, user_id: str, factor_id: str | None
) -> FactorRecord:
    """The SMS method meant: the one named, or the only one the user has."""
    rows = [f for f in await ctx.provider.factors(conn, user_id) if f.type == "sms"]
    if factor_id is not None:
        for row in rows:
            if row.id == factor_id:
                return row
        raise InvalidInput(f"this user has no SMS method {factor_id!r}", field="factor_id")
    if not rows:
        raise InvalidInput("this user has no SMS method on file", field="factor_id")
    if len(rows) > 1:
        raise InvalidInput(
            f"this user has {len(rows)} SMS methods: say which one", field="factor_id"
        )
    return rows[0]


def delivery_view(record: SmsDeliveryRecord) -> SmsDelivery:
    return SmsDelivery(
        id=record.id,
        factor_id=record.factor_id,
        at=record.at,
        updated_at=record.updated_at,
        phone_masked=record.phone_masked,
        status=record.status,  # type: ignore[arg-type]
        reason=record.reason,
        reason_code=record.reason_code,
        final=record.status in FINAL_STATUSES,
    )


# -- reads ------------------------------------------------------------------------------------


async def overview(ctx: ServiceContext, user_id: str) -> SmsOverview:
    """The SMS methods on file, analysed and masked, and when the next code may go."""
    require(ctx.provider, Capability.READ_FACTORS)
    now = ctx.clock.now()
    async with reading(ctx.engine) as conn:
        user = await user_of(ctx, conn, user_id)
        rows = await ctx.provider.factors(conn, user_id)
        wait = await wait_s(conn, send_bucket(user_id), now, send_limits(ctx.settings))
    found: list[SmsFactorFacts] = []
    for row in rows:
        if row.type != "sms":
            continue
        analysis = analyse_on_file(row.phone_e164)
        why = refusal(analysis)
        found.append(
            SmsFactorFacts(
                factor_id=row.id,
                label=row.label,
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
        has_authenticator=any(r.type == "totp" for r in rows),
        enrol_required=user.enrol_required,  # type: ignore[arg-type]
    )


async def deliveries(ctx: ServiceContext, user_id: str, limit: int) -> list[SmsDelivery]:
    """Newest first, each in its current state (reading the log advances it). Wherever
    texts are sent there is a log; without receipts it stops at "sent" or "failed"."""
    require(ctx.provider, Capability.SEND_SMS)
    async with reading(ctx.engine) as conn:
        await user_of(ctx, conn, user_id)
    found = await ctx.provider.sms_deliveries(user_id, limit, ctx.clock.now())
    return [delivery_view(d) for d in found]


# -- comparing a stated number ---------------------------------------------------------------


async def compare_number(
    ctx: ServiceContext,
    who: Principal,
    user_id: str,
    *,
    number: str,
    region: str | None,
    factor_id: str | None,
    ticket_id: str | None,
    request_id: str,
) -> NumberCheck:
    """Is the number the user states the one on file? Answers without revealing it.

    Audited (it confirms digits of the number on file) and rate-limited for that reason.
    """
    require(ctx.provider, Capability.READ_FACTORS)
    now = ctx.clock.now()
    refused: ServiceError | None = None
    check: NumberCheck | None = None
    async with ctx.engine.begin() as conn:
        user = await user_of(ctx, conn, user_id)
        await require_users_ticket(conn, ticket_id, user_id)
        factor = await sms_factor(ctx, conn, user_id, factor_id)
        try:
            comparison = same_number(number, factor.phone_e164 or "", region or user.region)
        except PhoneParseError as exc:
            field = _PARSE_FIELDS.get(exc.code, "number")
            what = "the number on file" if field == "factor_id" else "that number"
            raise InvalidInput(f"{what} cannot be read: {exc.reason}", field=field) from None
        about: dict[str, Any] = {"user_id": user_id, "ticket_id": ticket_id}
        limited = await take(conn, compare_bucket(user_id), now, compare_limits(ctx.settings))
        if limited is not None:
            wait, limit = limited
            entry = audit.number_compared(
                who.actor,
                **about,
                outcome="rate_limited",
                limit=limit.description,
                retry_after_s=wait,
            )
            refused = RateLimited(f"{limit.description}: try again in {wait} s", retry_after_s=wait)
        else:
            entry = audit.number_compared(
                who.actor,
                **about,
                outcome=comparison.verdict,
                factor_id=factor.id,
                stated=comparison.stated.masked,
            )
            check = NumberCheck(
                factor_id=factor.id,
                verdict=comparison.verdict,
                matches=comparison.matches,
                stated=facts(comparison.stated),
            )
        await record(conn, entry, at=now, request_id=request_id)
    if refused is not None:
        raise refused
    assert check is not None
    return check


# -- the way out ---------------------------------------------------------------------------------


async def switch_to_authenticator(
    ctx: ServiceContext,
    who: Principal,
    user_id: str,
    *,
    reason: str,
    ticket_id: str | None,
    request_id: str,
) -> UserProfile:
    """The article's way out: the user sets up an authenticator app at next sign-in.

    The SMS method stays as a backup. Refused for service accounts (no interactive MFA)
    and for users who already have an authenticator app (they should choose it).
    """
    require(ctx.provider, Capability.REQUIRE_ENROLMENT)
    now = ctx.clock.now()
    refused: ServiceError | None = None
    profile: UserProfile | None = None
    async with ctx.engine.begin() as conn:
        user = await user_of(ctx, conn, user_id)
        await require_users_ticket(conn, ticket_id, user_id)
        apps = [f for f in await ctx.provider.factors(conn, user_id) if f.type == "totp"]
        paper: dict[str, Any] = {
            "user_id": user_id,
            "ticket_id": ticket_id,
            "reason": reason.strip(),
        }
        if user.kind == "service":
            why = (
                "a service account cannot use interactive MFA: keep its credentials in a "
                "credential manager that supports 2FA codes"
            )
            entry = audit.switched_to_authenticator(who.actor, **paper, outcome="refused", why=why)
            refused = InvalidInput(why)
        elif apps:
            why = (
                f"this user already has an authenticator app ({apps[0].label}): "
                "ask them to choose it at sign-in"
            )
            entry = audit.switched_to_authenticator(who.actor, **paper, outcome="refused", why=why)
            refused = Conflict(why)
        elif user.enrol_required == "totp":
            entry = audit.switched_to_authenticator(
                who.actor, **paper, outcome="unchanged", enrol_required="totp"
            )
        else:
            await ctx.provider.require_enrolment(conn, user, "totp", now)
            entry = audit.switched_to_authenticator(
                who.actor,
                **paper,
                outcome="success",
                enrol_required="totp",
                before=user.enrol_required,
            )
        await record(conn, entry, at=now, request_id=request_id)
        if refused is None:
            profile = await profile_view(ctx, conn, user_id)
    if refused is not None:
        raise refused
    assert profile is not None
    return profile
