"""The demo world's inbox: what the simulated gateways delivered, kept in ``message_outbox``.

The reference service has no mail gateway, so every e-mail it sends lands here; texts
land here only when the SMS gateway is the simulated carrier (a real provider delivers to
a real phone, and nothing is kept). The rows stand for the user's own phone and mailbox,
so their bodies hold codes in plain text: no API route ever reads this table, only
``supportdesk demo phone`` does.

Callers write a message in the same transaction that records its send, and only once the
gateway has accepted it: the user's phone never shows a text the carrier refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.sms.gateway import SmsGateway
from supportdesk.service.sms.simulated import SimulatedCarrier
from supportdesk.service.store.schema import message_outbox

Channel = Literal["email", "sms"]


def keeps_texts(gateway: SmsGateway) -> bool:
    """Whether texts handed to this gateway land in the demo inbox (the simulated one only)."""
    return isinstance(gateway, SimulatedCarrier)


async def deliver(
    conn: AsyncConnection,
    *,
    user_id: str,
    channel: Channel,
    recipient: str,
    body: str,
    now: datetime,
    subject: str = "",
) -> None:
    """Put a message in the user's inbox: an e-mail address, or the E.164 number texted."""
    await conn.execute(
        message_outbox.insert().values(
            user_id=user_id,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            created_at=now,
        )
    )
