"""Messenger deliveries: verified in their format, then taken like any arrival."""

from __future__ import annotations

from collections.abc import Mapping

from supportdesk.service.channels.messenger.chatwoot import verify_chatwoot
from supportdesk.service.channels.messenger.models import (
    EventTooLarge,
    IgnoredEvent,
    InboundMessage,
    MalformedEvent,
    MessengerFormat,
    WebhookRefused,
)
from supportdesk.service.channels.messenger.native import verify_native
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import ServiceError
from supportdesk.service.ops.intake.core import Arrival, Taken, first_line, note_key, take


class WebhookRejected(ServiceError):
    """A messenger delivery refused before anything was made (401, 413, 422)."""

    def __init__(self, refused: WebhookRefused) -> None:
        super().__init__(refused.message)
        self.status = 422 if isinstance(refused, MalformedEvent) else refused.status
        self.code = refused.code

    @classmethod
    def too_large(cls, size: int, limit: int) -> WebhookRejected:
        return cls(EventTooLarge(f"the body is {size} bytes; the limit is {limit}"))


async def receive_webhook(
    ctx: ServiceContext, source: MessengerFormat, body: bytes, headers: Mapping[str, str]
) -> Taken:
    """Verify one delivery in ``source``'s format and take its event.

    Raises ``WebhookRejected`` (bad signature or stale: 401, too large: 413, malformed:
    422) and ``RateLimited`` (a flood from one sender); nothing is made then.
    """
    settings = ctx.messenger
    secrets, now = settings.secrets(), ctx.clock.now()
    try:
        if source == "chatwoot":
            event: InboundMessage | IgnoredEvent = verify_chatwoot(
                body,
                headers,
                secrets=secrets,
                now=now,
                account_id=settings.chatwoot_account_id,
                tolerance_s=settings.tolerance_s,
                max_body_bytes=settings.max_body_bytes,
                max_text_chars=settings.max_text_chars,
            )
        else:
            event = verify_native(
                body,
                headers,
                secrets=secrets,
                now=now,
                tolerance_s=settings.tolerance_s,
                max_body_bytes=settings.max_body_bytes,
                max_text_chars=settings.max_text_chars,
            )
    except WebhookRefused as refused:
        raise WebhookRejected(refused) from None
    if isinstance(event, IgnoredEvent):
        return Taken("ignored", None, f"{event.event}: {event.reason}")
    return await take_message(ctx, event)


def conversation_key(message: InboundMessage) -> str:
    ref = message.conversation
    return f"{ref.source}:{ref.account_id or ''}:{ref.conversation_id}"


async def take_message(ctx: ServiceContext, message: InboundMessage) -> Taken:
    """A verified messenger event: a new ticket, or a message on its open conversation."""
    text = message.text.strip()
    if not text:
        # A conversation opened with no words yet: its first message makes the ticket.
        return await note_key(ctx, f"messenger:{message.event_id}", "conversation opened")
    sender = message.user_email or (
        f"{message.conversation.source}:{message.messenger_user_id}"
        if message.messenger_user_id
        else f"{message.conversation.source} conversation {message.conversation.conversation_id}"
    )
    arrival = Arrival(
        key=f"messenger:{message.event_id}",
        channel="messenger",
        sender=sender,
        sender_name=message.user_name,
        user_id_hint=message.user_id,
        email=message.user_email,
        subject=first_line(text),
        body=text,
        original=message.text,
        at=message.occurred_at,
        refs={
            "event_id": message.event_id,
            "conversation": message.conversation.model_dump(mode="json"),
            "messenger_user_id": message.messenger_user_id,
        },
        conversation_key=conversation_key(message),
    )
    return await take(ctx, arrival, checkpoint=None)
