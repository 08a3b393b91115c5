"""SMS codes through privacyIDEA: it makes the code and texts its own gateway."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.phone import mask_e164
from supportdesk.service.provider import receipts
from supportdesk.service.provider.interface import (
    FactorRecord,
    QueuedSms,
    SmsDeliveryRecord,
    SmsPurpose,
    SmsState,
    UserRecord,
)
from supportdesk.service.provider.privacyidea.base import (
    SYSTEM,
    TRIGGER_ACTION,
    PiBase,
)
from supportdesk.service.provider.privacyidea.failures import calling


class Texts(PiBase):
    # -- texts ------------------------------------------------------------------------

    async def queue_sms(
        self,
        conn: AsyncConnection,
        user: UserRecord,
        factor: FactorRecord,
        purpose: SmsPurpose,
        now: datetime,
    ) -> QueuedSms:
        """Nothing to make here: privacyIDEA makes the code and the text when it sends."""
        return QueuedSms(
            purpose=purpose,
            user_id=user.id,
            factor_id=factor.id,
            to_e164=factor.phone_e164 or "",
            text="",
            phone_masked=mask_e164(factor.phone_e164) if factor.phone_e164 else "•••",
            gateway=SYSTEM,
            reference=uuid.uuid4().hex,
        )

    async def send_sms(self, queued: QueuedSms, now: datetime) -> SmsState:
        """`/validate/triggerchallenge` for this token: privacyIDEA texts its gateway."""
        username, realm = await self._who(None, queued.user_id)
        try:
            with calling(f"send a code to token {queued.factor_id}"):
                challenge = await self.pi.trigger_challenge(
                    username, realm, serial=queued.factor_id
                )
        except Exception as exc:  # a refusal is a failed state, never an exception
            return SmsState("failed", reason=str(exc), reason_code="provider_error", at=now)
        row = await self._row(TRIGGER_ACTION, user=username)
        receipts.note(system=SYSTEM, serial=queued.factor_id, audit_row=row)
        if challenge.gateway_error or challenge.count == 0:
            return SmsState(
                "failed",
                reason=challenge.gateway_error or "privacyIDEA started no challenge",
                reason_code="gateway_error",
                at=now,
                provider_ref=str(row) if row else None,
            )
        return SmsState(
            "sent",
            at=now,
            provider_ref=challenge.transaction_id,
            handle=challenge.transaction_id,
        )

    async def settle_sms(
        self, conn: AsyncConnection, queued: QueuedSms, state: SmsState, now: datetime
    ) -> SmsDeliveryRecord | None:
        return None  # privacyIDEA's audit is the delivery log (`sms_deliveries`)

    async def check_sms_code(
        self, conn: AsyncConnection, factor_id: str, code: str, handle: str, now: datetime
    ) -> bool:
        with calling(f"check a code of token {factor_id}"):
            self._changed(conn)
            check = await self.pi.validate_check(code, serial=factor_id, transaction_id=handle)
        return check.accepted

    async def sms_deliveries(
        self, user_id: str, limit: int, now: datetime
    ) -> list[SmsDeliveryRecord]:
        """What privacyIDEA knows of the texts: each challenge it sent, or failed to."""
        username, realm = await self._who(None, user_id)
        with calling(f"read the audit of {user_id}"):
            page = await self.pi.audit(
                user=username, realm=realm, action=TRIGGER_ACTION, page_size=limit
            )
            phones = {
                t.serial: t.phone.masked
                for t in await self.pi.user_tokens(username, realm)
                if t.phone
            }
        found: list[SmsDeliveryRecord] = []
        for row in page.entries:
            serial = row.serial.split(",")[0].strip()
            found.append(
                SmsDeliveryRecord(
                    id=row.number,
                    factor_id=serial,
                    at=row.date,
                    updated_at=row.date,
                    phone_masked=phones.get(serial, "•••"),
                    status="sent" if row.success else "failed",
                    reason=None if row.success else (row.info or "privacyIDEA sent no text"),
                    reason_code=None if row.success else "gateway_error",
                )
            )
        return found
