"""Texting codes over our own tables and the configured SMS gateway.

A sign-in code replaces the user's live one (only its keyed hash is kept) and its text is
logged in ``sms_deliveries``, whose states advance when the log is read: each message not
yet final is looked up at the gateway (the simulated carrier works its state out from the
elapsed time). A challenge code is not a sign-in code: nothing here keeps it, the desk
keeps its hash (`QueuedSms.handle`) with the challenge. When the simulated carrier took a
text, it lands in the demo user's phone (``supportdesk.service.store.inbox``).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.provider.builtin.base import BuiltinBase
from supportdesk.service.provider.interface import (
    FactorRecord,
    QueuedSms,
    SmsDeliveryRecord,
    SmsPurpose,
    SmsState,
    UserRecord,
)
from supportdesk.service.security import code_digest, codes_equal, new_numeric_code
from supportdesk.service.sms.gateway import (
    FINAL_STATUSES,
    DeliveryState,
    OutgoingSms,
    SmsGatewayError,
    moves_forward,
)
from supportdesk.service.store.engine import reading
from supportdesk.service.store.inbox import deliver, keeps_texts
from supportdesk.service.store.schema import factors, sms_codes, sms_deliveries
from supportdesk.service.texts import challenge_text, signin_code_text

log = logging.getLogger(__name__)

CODE_DIGITS = 6


def _masked(e164: str) -> str:
    """The number as the log shows it; the numbering plans (phonenumbers, a large
    import) load with the first text, not with the service."""
    from supportdesk.rules.phone import mask_e164

    return mask_e164(e164)


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def delivery_record(row: RowMapping, state: DeliveryState | None = None) -> SmsDeliveryRecord:
    """A delivery row, with a newer state when the gateway reported one."""
    return SmsDeliveryRecord(
        id=row["id"],
        factor_id=row["factor_id"],
        at=row["created_at"],
        updated_at=(state.at if state and state.at else row["updated_at"]),
        phone_masked=row["phone_masked"],
        status=state.status if state else row["status"],
        reason=state.reason if state else row["reason"],
        reason_code=state.reason_code if state else row["reason_code"],
    )


class Texts(BuiltinBase):
    async def queue_sms(
        self,
        conn: AsyncConnection,
        user: UserRecord,
        factor: FactorRecord,
        purpose: SmsPurpose,
        now: datetime,
    ) -> QueuedSms:
        code = new_numeric_code(CODE_DIGITS)
        e164 = factor.phone_e164 or ""
        gateway = self.env.sms_gateway.name
        if purpose == "challenge":
            return QueuedSms(
                purpose=purpose,
                user_id=user.id,
                factor_id=factor.id,
                to_e164=e164,
                text=challenge_text(code),
                phone_masked=_masked(e164),
                gateway=gateway,
                reference=f"challenge-{secrets.token_hex(8)}",
                handle=code_digest(self.env.server_key, code),
            )
        settings = self.env.settings
        user_factors = select(factors.c.id).where(factors.c.user_id == user.id)
        await conn.execute(
            sms_codes.update()
            .where(sms_codes.c.factor_id.in_(user_factors))
            .where(sms_codes.c.dead_at.is_(None))
            .values(dead_at=now)
        )
        inserted_code = await conn.execute(
            sms_codes.insert().values(
                factor_id=factor.id,
                code_hash=code_digest(self.env.server_key, code),
                created_at=now,
                expires_at=now + timedelta(seconds=settings.sms_code_s),
            )
        )
        inserted_delivery = await conn.execute(
            sms_deliveries.insert().values(
                user_id=user.id,
                factor_id=factor.id,
                phone_masked=_masked(e164),
                created_at=now,
                updated_at=now,
                status="queued",
            )
        )
        delivery_id = _new_id(inserted_delivery)
        return QueuedSms(
            purpose=purpose,
            user_id=user.id,
            factor_id=factor.id,
            to_e164=e164,
            text=signin_code_text(code, settings.sms_code_s),
            phone_masked=_masked(e164),
            gateway=gateway,
            reference=str(delivery_id),
            delivery_id=delivery_id,
            code_ref=_new_id(inserted_code),
        )

    async def send_sms(self, queued: QueuedSms, now: datetime) -> SmsState:
        gateway = self.env.sms_gateway
        reference = queued.reference
        try:
            receipt = await gateway.send(OutgoingSms(queued.to_e164, queued.text, reference), now)
        except SmsGatewayError as exc:
            return SmsState("failed", exc.reason, exc.code, at=now)
        except Exception:  # a gateway bug must not leave the log saying "queued" for ever
            log.exception("SMS gateway %s failed on %s", gateway.name, reference)
            return SmsState(
                "failed", "the SMS gateway failed unexpectedly", "gateway_error", at=now
            )
        state = receipt.state
        return SmsState(
            state.status, state.reason, state.reason_code, state.at, receipt.provider_ref
        )

    async def settle_sms(
        self, conn: AsyncConnection, queued: QueuedSms, state: SmsState, now: datetime
    ) -> SmsDeliveryRecord | None:
        if queued.delivery_id is not None:
            await conn.execute(
                sms_deliveries.update()
                .where(sms_deliveries.c.id == queued.delivery_id)
                .values(
                    status=state.status,
                    reason=state.reason,
                    reason_code=state.reason_code,
                    provider_ref=state.provider_ref,
                    updated_at=state.at or now,
                )
            )
        if state.failed:
            if queued.code_ref is not None:
                await conn.execute(
                    sms_codes.update().where(sms_codes.c.id == queued.code_ref).values(dead_at=now)
                )
        elif keeps_texts(self.env.sms_gateway):  # the demo user's phone receives it
            await deliver(
                conn,
                user_id=queued.user_id,
                channel="sms",
                recipient=queued.to_e164,
                body=queued.text,
                now=now,
            )
        if queued.delivery_id is None:
            return None
        row = (
            await conn.execute(
                select(sms_deliveries).where(sms_deliveries.c.id == queued.delivery_id)
            )
        ).one()
        return delivery_record(row._mapping)

    async def check_sms_code(
        self, conn: AsyncConnection, factor_id: str, code: str, handle: str, now: datetime
    ) -> bool:
        return codes_equal(handle, code_digest(self.env.server_key, code.strip()))

    async def sms_deliveries(
        self, user_id: str, limit: int, now: datetime
    ) -> list[SmsDeliveryRecord]:
        engine = self.env.engine
        gateway = self.env.sms_gateway
        async with reading(engine) as conn:
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
                state = await gateway.poll(
                    row["provider_ref"], row["phone_e164"] or "", row["created_at"], now
                )
            except SmsGatewayError:
                continue
            if state is not None and moves_forward(row["status"], state.status):
                news[row["id"]] = state
        if news:
            async with engine.begin() as conn:
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
        return [delivery_record(row, news.get(row["id"])) for row in rows]
