"""Texting a fresh code: an agent's resend, or the end user's own "Resend code".

A send is three steps, so no transaction waits on the carrier:

1. in one transaction: the checks (number, country, line, rate limit; refusals audited),
   the provider makes the code (the live one dies), and the resend is audited as queued;
2. the provider hands the text to the carrier;
3. in one transaction: the provider records the carrier's answer; a refusal kills the new
   code and is audited with the carrier's reason. A provider in front of another server
   (privacyIDEA) sends in step 2 and notes that server's audit row: the send is audited
   then (`sms.sent`), naming the row, as every change it makes is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from supportdesk.api.sms import EndUserSmsSent, SmsResent
from supportdesk.rules.phone import mask_e164
from supportdesk.service.audit import Actor, record
from supportdesk.service.audit import entries as audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput, RateLimited, ServiceError, Unauthorised
from supportdesk.service.ops.common import Principal, require_users_ticket, user_of
from supportdesk.service.ops.sms import SmsRefused, delivery_view, send_bucket, sms_factor
from supportdesk.service.provider import (
    Capability,
    QueuedSms,
    SmsDeliveryRecord,
    SmsState,
    receipts,
    require,
)
from supportdesk.service.sms.policy import analyse_on_file, refusal, send_limits
from supportdesk.service.store import signin_challenges
from supportdesk.service.store.engine import reading
from supportdesk.service.store.ratelimit import take, wait_s


@dataclass(frozen=True)
class SendOrder:
    """Who asks for a code to be texted to whom, and on which ticket."""

    user_id: str
    factor_id: str | None
    actor: Actor
    ticket_id: str | None
    reason: str | None
    request_id: str | None
    action: str = "sms.resend"


async def send_code(ctx: ServiceContext, order: SendOrder) -> SmsResent:
    """Kill the live code, text a fresh one and log its delivery (see module doc)."""
    require(ctx.provider, Capability.SEND_SMS)
    now = ctx.clock.now()
    queued, about = await _queue(ctx, order, now)
    with receipts.collecting() as seen:
        state = await ctx.provider.send_sms(queued, now)
    noted = {"provider": seen.records} if seen.records else {}
    async with ctx.engine.begin() as conn:
        delivery = await ctx.provider.settle_sms(conn, queued, state, now)
        if state.failed:
            entry = audit.sms_send_failed(
                order.actor,
                user_id=order.user_id,
                ticket_id=order.ticket_id,
                reason=state.reason,
                **about,
                delivery_id=queued.delivery_id,
                gateway=queued.gateway,
                reason_code=state.reason_code,
                **noted,
            )
            await record(conn, entry, at=now, request_id=order.request_id)
        elif noted:  # the other server sent it: our entry names its audit row
            entry = audit.sms_handed_over(
                order.actor,
                user_id=order.user_id,
                ticket_id=order.ticket_id,
                reason=order.reason,
                **about,
                request=order.action,
                gateway=queued.gateway,
                **noted,
            )
            await record(conn, entry, at=now, request_id=order.request_id)
        next_send = await wait_s(conn, send_bucket(order.user_id), now, send_limits(ctx.settings))
    shown = delivery or _unlogged(queued, state, now)
    return SmsResent(
        delivery=delivery_view(shown),
        code_expires_at=None if state.failed else now + timedelta(seconds=ctx.settings.sms_code_s),
        next_send_in_s=next_send,
    )


def _unlogged(queued: QueuedSms, state: SmsState, now: datetime) -> SmsDeliveryRecord:
    """The delivery as far as we know it, from a provider that keeps no delivery log."""
    return SmsDeliveryRecord(
        id=0,
        factor_id=queued.factor_id,
        at=now,
        updated_at=state.at or now,
        phone_masked=queued.phone_masked,
        status=state.status,
        reason=state.reason,
        reason_code=state.reason_code,
    )


async def _queue(
    ctx: ServiceContext, order: SendOrder, now: datetime
) -> tuple[QueuedSms, dict[str, Any]]:
    """Step 1: checks, the provider's new code, and the audit entry."""
    refused: ServiceError | None = None
    queued: QueuedSms | None = None
    limits = send_limits(ctx.settings)
    bucket = send_bucket(order.user_id)
    async with ctx.engine.begin() as conn:
        user = await user_of(ctx, conn, order.user_id)
        await require_users_ticket(conn, order.ticket_id, order.user_id)
        factor = await sms_factor(ctx, conn, order.user_id, order.factor_id)
        e164 = factor.phone_e164 or ""
        about: dict[str, Any] = {"factor_id": factor.id, "phone": mask_e164(e164)}
        paper: dict[str, Any] = {
            "action": order.action,
            "user_id": order.user_id,
            "ticket_id": order.ticket_id,
            "reason": order.reason,
        }
        why = refusal(analyse_on_file(e164))
        if why is not None:
            entry = audit.sms_sent(order.actor, **paper, outcome="refused", **about, why=why)
            refused = SmsRefused(why, field="factor_id")
        elif limited := await take(conn, bucket, now, limits):
            # take() rounds its wait up by a second; the exact wait makes the desk's countdown
            # end when the provider's limit does.
            limit = limited[1]
            wait = await wait_s(conn, bucket, now, limits) or limited[0]
            entry = audit.sms_sent(
                order.actor,
                **paper,
                outcome="rate_limited",
                **about,
                limit=limit.description,
                retry_after_s=wait,
            )
            refused = RateLimited(
                f"{limit.description}: the next code can go in {wait} s", retry_after_s=wait
            )
        else:
            queued = await ctx.provider.queue_sms(conn, user, factor, "signin", now)
            entry = audit.sms_sent(
                order.actor,
                **paper,
                outcome="queued",
                **about,
                delivery_id=queued.delivery_id,
                gateway=queued.gateway,
            )
        await record(conn, entry, at=now, request_id=order.request_id)
    if refused is not None:
        raise refused
    assert queued is not None
    return queued, about


async def resend(
    ctx: ServiceContext,
    who: Principal,
    user_id: str,
    *,
    factor_id: str | None,
    ticket_id: str | None,
    reason: str | None,
    request_id: str,
) -> SmsResent:
    """An agent texts the user a fresh code (the article's first step)."""
    return await send_code(
        ctx,
        SendOrder(
            user_id=user_id,
            factor_id=factor_id,
            actor=who.actor,
            ticket_id=ticket_id,
            reason=(reason or "").strip() or "user reports the text code did not arrive",
            request_id=request_id,
        ),
    )


async def enduser_send_code(
    ctx: ServiceContext, challenge_id: str, factor_id: str | None, *, request_id: str
) -> EndUserSmsSent:
    """The user's own "Resend code", allowed by a live sign-in challenge."""
    now = ctx.clock.now()
    async with reading(ctx.engine) as conn:
        challenge = await signin_challenges.live(conn, challenge_id, now)
        if challenge is None:
            raise Unauthorised("the sign-in has expired: start again")
        user = await user_of(ctx, conn, challenge.user_id)
    if user.mfa_status == "setup_required":
        raise InvalidInput("this account has no verification method set up yet")
    sent = await send_code(
        ctx,
        SendOrder(
            user_id=user.id,
            factor_id=factor_id,
            actor=Actor(name=user.id, role="enduser"),
            ticket_id=None,
            reason="requested on the sign-in page",
            request_id=request_id,
            action="sms.send",
        ),
    )
    return EndUserSmsSent(
        phone_masked=sent.delivery.phone_masked,
        status=sent.delivery.status,
        code_expires_at=sent.code_expires_at,
        reason=sent.delivery.reason,
    )
