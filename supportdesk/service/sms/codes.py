"""Texting a fresh code and keeping the delivery log: shared by agents' resends and the
end user's "Resend code" during sign-in.

A send is three steps, so no database transaction waits on the provider:

1. in one transaction: the checks (number, country, line, rate limit; refusals audited),
   the previous live codes voided, the new code stored (keyed hash only), the delivery
   logged as queued and the resend audited;
2. the gateway call;
3. in one transaction: the delivery updated with the provider's answer; when the
   provider refused, the new code is voided too and the failure audited with its reason;
   when the simulated carrier took it, the text lands in the demo user's phone
   (``supportdesk.service.inbox``).

Delivery states advance when the log is read: each message not yet final is looked up
at the gateway (the simulated carrier works its state out from the elapsed time).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.sms import SmsDelivery, SmsResent
from supportdesk.rules.phone import mask_e164
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.db.schema import factors, rate_hits, sms_codes, sms_deliveries, tickets
from supportdesk.service.errors import InvalidInput, RateLimited, ServiceError
from supportdesk.service.inbox import deliver, keeps_texts
from supportdesk.service.ratelimit import Limit, take
from supportdesk.service.security import code_digest, new_numeric_code
from supportdesk.service.sms.gateway import (
    FINAL_STATUSES,
    DeliveryState,
    OutgoingSms,
    SmsGatewayError,
    moves_forward,
)
from supportdesk.service.sms.policy import analyse_on_file, refusal, send_limits
from supportdesk.service.views import active_factor_rows, user_row

if TYPE_CHECKING:
    from supportdesk.service.context import ServiceContext

log = logging.getLogger(__name__)

CODE_DIGITS = 6


class SmsRefused(InvalidInput):
    """The number cannot be texted (country off the list, a landline, unreadable)."""

    code = "sms_refused"


def send_bucket(user_id: str) -> str:
    return f"sms-send:{user_id}"


def compare_bucket(user_id: str) -> str:
    return f"sms-compare:{user_id}"


def message_text(code: str, lifetime_s: int) -> str:
    """What the user's phone shows; the code first, so phones can offer to fill it in."""
    return (
        f"{code} is your Alvys verification code. It expires in {lifetime_s // 60} minutes. "
        "Alvys will never ask you for it."
    )


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


async def check_ticket(conn: AsyncConnection, ticket_id: str | None, user_id: str) -> None:
    """A ticket named for the record must exist and be this user's."""
    if ticket_id is None:
        return
    owner = (
        await conn.execute(select(tickets.c.user_id).where(tickets.c.id == ticket_id))
    ).scalar_one_or_none()
    if owner is None:
        raise InvalidInput(f"no ticket {ticket_id!r}", field="ticket_id")
    if owner != user_id:
        raise InvalidInput(f"ticket {ticket_id} belongs to another user", field="ticket_id")


async def sms_factor(conn: AsyncConnection, user_id: str, factor_id: str | None) -> RowMapping:
    """The SMS method meant: the one named, or the only one the user has."""
    rows = [f for f in await active_factor_rows(conn, user_id) if f["type"] == "sms"]
    if factor_id is not None:
        for row in rows:
            if row["id"] == factor_id:
                return row
        raise InvalidInput(f"this user has no SMS method {factor_id!r}", field="factor_id")
    if not rows:
        raise InvalidInput("this user has no SMS method on file", field="factor_id")
    if len(rows) > 1:
        raise InvalidInput(
            f"this user has {len(rows)} SMS methods: say which one", field="factor_id"
        )
    return rows[0]


async def wait_s(conn: AsyncConnection, bucket: str, now: datetime, limits: list[Limit]) -> int:
    """Seconds until ``take`` would let one more hit through (0: now), without taking."""
    worst = 0
    for limit in limits:
        hits = list(
            (
                await conn.execute(
                    select(rate_hits.c.at)
                    .where(rate_hits.c.bucket == bucket)
                    .where(rate_hits.c.at > now - limit.window)
                    .order_by(rate_hits.c.at)
                )
            ).scalars()
        )
        if len(hits) >= limit.count:
            frees_at: datetime = hits[len(hits) - limit.count] + limit.window
            worst = max(worst, ceil((frees_at - now).total_seconds()))
    return worst


def delivery_view(row: RowMapping, state: DeliveryState | None = None) -> SmsDelivery:
    """A delivery row (with a newer state, when the gateway reported one) for the API."""
    status = state.status if state else row["status"]
    return SmsDelivery(
        id=row["id"],
        factor_id=row["factor_id"],
        at=row["created_at"],
        updated_at=(state.at if state and state.at else row["updated_at"]),
        phone_masked=row["phone_masked"],
        status=status,
        reason=state.reason if state else row["reason"],
        reason_code=state.reason_code if state else row["reason_code"],
        final=status in FINAL_STATUSES,
    )


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


@dataclass(frozen=True)
class _Queued:
    """What step 1 leaves for the others: the code to text and where its records are."""

    code: str = field(repr=False)
    code_id: int
    delivery_id: int
    e164: str
    expires: datetime
    audit: dict[str, Any]
    about: dict[str, Any]


async def send_code(ctx: ServiceContext, order: SendOrder) -> SmsResent:
    """Void the live code, text a fresh one and log its delivery (see module doc)."""
    now = ctx.clock.now()
    queued = await _queue(ctx, order, now)
    text = message_text(queued.code, ctx.settings.sms_code_s)
    message = OutgoingSms(queued.e164, text, str(queued.delivery_id))
    ref: str | None = None
    try:
        receipt = await ctx.sms_gateway.send(message, now)
        ref, state = receipt.provider_ref, receipt.state
    except SmsGatewayError as exc:
        state = DeliveryState("failed", exc.reason, exc.code, at=now)
    except Exception:  # a gateway bug must not leave the log saying "queued" for ever
        log.exception(
            "SMS gateway %s failed on delivery %s", ctx.sms_gateway.name, queued.delivery_id
        )
        state = DeliveryState("failed", "the SMS gateway failed unexpectedly", "gateway_error")
    return await _record_answer(ctx, order, queued, text, ref, state, now)


async def _queue(ctx: ServiceContext, order: SendOrder, now: datetime) -> _Queued:
    """Step 1: checks, code rotation, the queued delivery and the audit entry."""
    settings = ctx.settings
    audit: dict[str, Any] = {
        "at": now,
        "actor": order.actor,
        "action": order.action,
        "target_user": order.user_id,
        "ticket_id": order.ticket_id,
        "reason": order.reason,
        "request_id": order.request_id,
    }
    refused: ServiceError | None = None
    queued: _Queued | None = None
    async with ctx.engine.begin() as conn:
        await user_row(conn, order.user_id)
        await check_ticket(conn, order.ticket_id, order.user_id)
        factor = await sms_factor(conn, order.user_id, order.factor_id)
        e164: str = factor["phone_e164"] or ""
        about: dict[str, Any] = {"factor_id": factor["id"], "phone": mask_e164(e164)}
        why = refusal(analyse_on_file(e164))
        if why is not None:
            await append_audit(conn, **audit, outcome="refused", detail={**about, "why": why})
            refused = SmsRefused(why, field="factor_id")
        elif limited := await take(conn, send_bucket(order.user_id), now, send_limits(settings)):
            # take() rounds its wait up by a second; the exact wait makes the desk's countdown
            # end when the provider's limit does.
            limit = limited[1]
            wait = await wait_s(conn, send_bucket(order.user_id), now, send_limits(settings))
            wait = wait or limited[0]
            await append_audit(
                conn,
                **audit,
                outcome="rate_limited",
                detail={**about, "limit": limit.description, "retry_after_s": wait},
            )
            refused = RateLimited(
                f"{limit.description}: the next code can go in {wait} s", retry_after_s=wait
            )
        else:
            code = new_numeric_code(CODE_DIGITS)
            expires = now + timedelta(seconds=settings.sms_code_s)
            user_factors = select(factors.c.id).where(factors.c.user_id == order.user_id)
            await conn.execute(
                sms_codes.update()
                .where(sms_codes.c.factor_id.in_(user_factors))
                .where(sms_codes.c.dead_at.is_(None))
                .values(dead_at=now)
            )
            inserted_code = await conn.execute(
                sms_codes.insert().values(
                    factor_id=factor["id"],
                    code_hash=code_digest(ctx.server_key, code),
                    created_at=now,
                    expires_at=expires,
                )
            )
            inserted_delivery = await conn.execute(
                sms_deliveries.insert().values(
                    user_id=order.user_id,
                    factor_id=factor["id"],
                    phone_masked=about["phone"],
                    created_at=now,
                    updated_at=now,
                    status="queued",
                )
            )
            delivery_id = _new_id(inserted_delivery)
            await append_audit(
                conn,
                **audit,
                outcome="queued",
                detail={**about, "delivery_id": delivery_id, "gateway": ctx.sms_gateway.name},
            )
            queued = _Queued(
                code=code,
                code_id=_new_id(inserted_code),
                delivery_id=delivery_id,
                e164=e164,
                expires=expires,
                audit=audit,
                about=about,
            )
    if refused is not None:
        raise refused
    assert queued is not None
    return queued


async def _record_answer(
    ctx: ServiceContext,
    order: SendOrder,
    queued: _Queued,
    text: str,
    ref: str | None,
    state: DeliveryState,
    now: datetime,
) -> SmsResent:
    """Step 3: the provider's answer on the delivery; a refusal voids the code, audited."""
    failed = state.status in ("failed", "undelivered")
    async with ctx.engine.begin() as conn:
        await conn.execute(
            sms_deliveries.update()
            .where(sms_deliveries.c.id == queued.delivery_id)
            .values(
                status=state.status,
                reason=state.reason,
                reason_code=state.reason_code,
                provider_ref=ref,
                updated_at=state.at or now,
            )
        )
        if failed:
            await conn.execute(
                sms_codes.update().where(sms_codes.c.id == queued.code_id).values(dead_at=now)
            )
            await append_audit(
                conn,
                **{**queued.audit, "action": "sms.send_failed", "reason": state.reason},
                outcome="failed",
                detail={
                    **queued.about,
                    "delivery_id": queued.delivery_id,
                    "gateway": ctx.sms_gateway.name,
                    "reason_code": state.reason_code,
                },
            )
        elif keeps_texts(ctx.sms_gateway):
            await deliver(
                conn,
                user_id=order.user_id,
                channel="sms",
                recipient=queued.e164,
                body=text,
                now=now,
            )
        row = (
            await conn.execute(
                select(sms_deliveries).where(sms_deliveries.c.id == queued.delivery_id)
            )
        ).one()
        next_send = await wait_s(conn, send_bucket(order.user_id), now, send_limits(ctx.settings))
    return SmsResent(
        delivery=delivery_view(row._mapping),
        code_expires_at=None if failed else queued.expires,
        next_send_in_s=next_send,
    )


async def delivery_log(ctx: ServiceContext, user_id: str, limit: int) -> list[SmsDelivery]:
    """The user's texts, newest first, each in the state its gateway reports now."""
    now = ctx.clock.now()
    async with ctx.engine.connect() as conn:
        await user_row(conn, user_id)
        rows = [
            r._mapping
            for r in await conn.execute(
                select(sms_deliveries, factors.c.phone_e164)
                .join(factors, factors.c.id == sms_deliveries.c.factor_id)
                .where(sms_deliveries.c.user_id == user_id)
                .order_by(sms_deliveries.c.created_at.desc(), sms_deliveries.c.id.desc())
                .limit(limit)
            )
        ]
    news: dict[int, DeliveryState] = {}
    for row in rows:
        if row["status"] in FINAL_STATUSES or not row["provider_ref"]:
            continue
        try:
            state = await ctx.sms_gateway.poll(
                row["provider_ref"], row["phone_e164"] or "", row["created_at"], now
            )
        except SmsGatewayError:
            continue
        if state is not None and moves_forward(row["status"], state.status):
            news[row["id"]] = state
    if news:
        async with ctx.engine.begin() as conn:
            for row in rows:
                state = news.get(row["id"])
                if state is None:
                    continue
                await conn.execute(
                    sms_deliveries.update()
                    .where(sms_deliveries.c.id == row["id"])
                    .where(sms_deliveries.c.status == row["status"])
                    .values(
                        status=state.status,
                        reason=state.reason,
                        reason_code=state.reason_code,
                        updated_at=state.at or now,
                    )
                )
    return [delivery_view(row, news.get(row["id"])) for row in rows]
