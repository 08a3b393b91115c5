"""`supportdesk demo message`: a user writes through the messenger, into the demo desk.

The message takes the intake's real path (matched to a user, triaged, audited, throttled)
so a newcomer watching the queue sees a ticket arrive as it would from a messenger.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.service.channels.messenger.models import ConversationRef, InboundMessage
from supportdesk.service.context import open_context
from supportdesk.service.errors import ServiceError
from supportdesk.service.ops.intake.core import Taken
from supportdesk.service.ops.intake.messenger import take_message
from supportdesk.service.ops.tickets import get_ticket
from supportdesk.service.settings import ServiceSettings

MAX_TEXT = 20_000


class DemoMessageError(Exception):
    """Why the message made no ticket, in words for the terminal."""


@dataclass(frozen=True)
class DemoDrop:
    taken: Taken
    conversation: str
    who: str
    branch: str | None
    confidence: float | None


async def demo_message(
    engine: AsyncEngine, text: str, *, sender: str, conversation: str | None = None
) -> DemoDrop:
    """Hand one message to the demo store's intake; what became of it."""
    if len(text) > MAX_TEXT:
        raise DemoMessageError(f"the text is {len(text)} characters; the limit is {MAX_TEXT}")
    ctx = await open_context(ServiceSettings(db_url=str(engine.url), demo_mode=True), engine=engine)
    conversation = conversation or f"demo-{uuid.uuid4().hex[:8]}"
    message = InboundMessage(
        event_id=f"demo:{uuid.uuid4().hex}",
        kind="user_message",
        conversation=ConversationRef(source="supportdesk", conversation_id=conversation),
        user_email=sender.strip() or None,
        text=text,
        occurred_at=ctx.clock.now(),
    )
    try:
        taken = await take_message(ctx, message)
    except ServiceError as exc:
        raise DemoMessageError(exc.message) from exc
    if taken.ticket_id is None:
        raise DemoMessageError(taken.message)
    ticket = await get_ticket(ctx, taken.ticket_id)
    who = ticket.user_name + (f" ({ticket.user_id})" if ticket.user_id else "")
    triage = ticket.triage
    return DemoDrop(
        taken=taken,
        conversation=conversation,
        who=who,
        branch=triage.branch if triage else None,
        confidence=triage.confidence if triage else None,
    )
