"""What the messenger adapters hand to the intake and reply operations, and take from them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MessengerFormat = Literal["supportdesk", "chatwoot"]
EventKind = Literal["conversation_opened", "user_message"]


class ConversationRef(BaseModel):
    """Where a reply to this conversation goes (``account_id``: Chatwoot's account)."""

    model_config = ConfigDict(frozen=True)

    source: MessengerFormat
    conversation_id: str
    account_id: str | None = None


class InboundMessage(BaseModel):
    """A verified event from the messenger: a conversation opened or a user wrote.

    ``event_id`` is the idempotency key (namespaced by source): a retried delivery carries
    the same one and must make nothing new. ``user_id`` is the desk's user id when the
    messenger knows it (Chatwoot's contact identifier); ``messenger_user_id`` is the
    messenger's own id for the person. ``text`` may be empty for ``conversation_opened``.
    """

    model_config = ConfigDict(frozen=True)

    event_id: str
    kind: EventKind
    conversation: ConversationRef
    user_id: str | None = None
    messenger_user_id: str | None = None
    user_email: str | None = None
    user_name: str | None = None
    text: str = ""
    occurred_at: datetime


class IgnoredEvent(BaseModel):
    """A genuine, signed event that makes no ticket (an agent's own message, a typing
    notice): answer 200 so the messenger does not retry it."""

    model_config = ConfigDict(frozen=True)

    event: str
    reason: str


class WebhookRefused(Exception):
    """A delivery refused before anything is made; ``status`` is the HTTP answer."""

    status = 400
    code = "malformed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadSignature(WebhookRefused):
    status = 401
    code = "bad_signature"


class StaleEvent(WebhookRefused):
    status = 401
    code = "stale"


class MalformedEvent(WebhookRefused):
    status = 400
    code = "malformed"


class EventTooLarge(WebhookRefused):
    status = 413
    code = "too_large"


class OutboundReply(BaseModel):
    """The agent's answer, to be posted into the messenger conversation."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    conversation: ConversationRef
    text: str = Field(min_length=1)
    idempotency_key: str = Field(min_length=8, max_length=200)


class ReplyReceipt(BaseModel):
    """The messenger took the reply; ``remote_id`` is its id for the message when given."""

    model_config = ConfigDict(frozen=True)

    remote_id: str | None = None
    attempts: int = 1


class ReplyError(Exception):
    """A reply that did not go out; ``reason`` is fit to show on the ticket."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class ReplyPermanent(ReplyError):
    """Retrying will fail the same way (refused token, conversation gone, bad request)."""


class ReplyTemporary(ReplyError):
    """Worth retrying later with the same idempotency key.

    ``may_have_landed``: the request reached the messenger and its answer was lost, so a
    messenger without idempotency keys might already show the reply.
    """

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        may_have_landed: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(reason, status=status)
        self.may_have_landed = may_have_landed
        self.retry_after_s = retry_after_s
