"""Our own messenger webhook shape (documented in docs/channels.md).

A messenger built for the desk posts JSON like::

    {"event_id": "evt_8c1f", "type": "message.created",
     "occurred_at": "2026-11-27T15:42:10Z", "conversation_id": "conv_77",
     "user": {"id": "u1023", "email": "ana@example.com", "name": "Ana"},
     "text": "The code is rejected"}

with ``X-Supportdesk-Timestamp: <unix seconds>`` and
``X-Supportdesk-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``.
``type`` is ``conversation.opened`` or ``message.created``; unknown fields are ignored so
the messenger can send more than we read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from supportdesk.service.channels.messenger.models import (
    ConversationRef,
    EventTooLarge,
    InboundMessage,
    MalformedEvent,
)
from supportdesk.service.channels.messenger.signing import check_signature, header, signature

TIMESTAMP_HEADER = "X-Supportdesk-Timestamp"
SIGNATURE_HEADER = "X-Supportdesk-Signature"
PREFIX = "v1="
_KINDS = {"conversation.opened": "conversation_opened", "message.created": "user_message"}


class _User(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=200)
    type: Literal["conversation.opened", "message.created"]
    occurred_at: datetime
    conversation_id: str = Field(min_length=1, max_length=200)
    user: _User = Field(default_factory=_User)
    text: str = ""


def sign_headers(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """The headers a messenger sends with ``body`` (for messengers, the demo and tests)."""
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: PREFIX + signature(secret, timestamp, body),
    }


def verify_native(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secrets: Sequence[str],
    now: datetime,
    tolerance_s: int = 300,
    max_body_bytes: int = 256_000,
    max_text_chars: int = 20_000,
) -> InboundMessage:
    """The event in a signed delivery, or a ``WebhookRefused`` saying why not."""
    if len(body) > max_body_bytes:
        raise EventTooLarge(f"the body is {len(body)} bytes; the limit is {max_body_bytes}")
    check_signature(
        body,
        timestamp=header(headers, TIMESTAMP_HEADER),
        signed=header(headers, SIGNATURE_HEADER),
        prefix=PREFIX,
        secrets=secrets,
        now=now,
        tolerance_s=tolerance_s,
    )
    try:
        event = _Event.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise MalformedEvent(f"the body is not a valid event: {_first_problem(exc)}") from exc
    text = event.text.strip()
    if event.type == "message.created" and not text:
        raise MalformedEvent("a message.created event needs text")
    if len(text) > max_text_chars:
        raise EventTooLarge(f"the text is {len(text)} characters; the limit is {max_text_chars}")
    occurred = event.occurred_at
    return InboundMessage(
        event_id=f"supportdesk:{event.event_id}",
        kind="conversation_opened" if event.type == "conversation.opened" else "user_message",
        conversation=ConversationRef(source="supportdesk", conversation_id=event.conversation_id),
        user_id=event.user.id,
        messenger_user_id=event.user.id,
        user_email=event.user.email.strip().lower() if event.user.email else None,
        user_name=event.user.name,
        text=text,
        occurred_at=occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC),
    )


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        return f"{where}: {error['msg']}"
    return "not JSON"
