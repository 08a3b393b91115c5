"""Chatwoot's webhooks in, Chatwoot's messages API out.

Why Chatwoot: it is open source and self-hosted by many support teams, and since v4.11.2
its webhooks are signed the way we want (``X-Chatwoot-Signature: sha256=<hex HMAC-SHA256 of
"<X-Chatwoot-Timestamp>.<raw body>">`` with the webhook's secret), so replays are refused.
Intercom signs only the body (``X-Hub-Signature``, SHA-1), with no timestamp to check.

Events read (see docs/channels.md for the fields):

- ``message_created`` with ``message_type`` "incoming", not private, from a contact: the
  user wrote. Agents' outgoing messages (our own replies among them) and notes are ignored.
- ``conversation_created``: a conversation opened (its messages arrive as message_created).

Everything else is a genuine event that makes no ticket (``IgnoredEvent``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dateutil import parser as dateparser

from supportdesk.service.channels.messenger.models import (
    ConversationRef,
    EventTooLarge,
    IgnoredEvent,
    InboundMessage,
    MalformedEvent,
)
from supportdesk.service.channels.messenger.signing import check_signature, header

TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
SIGNATURE_HEADER = "X-Chatwoot-Signature"
DELIVERY_HEADER = "X-Chatwoot-Delivery"
PREFIX = "sha256="


def verify_chatwoot(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secrets: Sequence[str],
    now: datetime,
    account_id: str | None = None,
    tolerance_s: int = 300,
    max_body_bytes: int = 256_000,
    max_text_chars: int = 20_000,
) -> InboundMessage | IgnoredEvent:
    """The event in a signed Chatwoot delivery, or a ``WebhookRefused`` saying why not.

    ``account_id`` is used when the payload does not name its account.
    """
    if len(body) > max_body_bytes:
        raise EventTooLarge(f"the body is {len(body)} bytes; the limit is {max_body_bytes}")
    signed_at = check_signature(
        body,
        timestamp=header(headers, TIMESTAMP_HEADER),
        signed=header(headers, SIGNATURE_HEADER),
        prefix=PREFIX,
        secrets=secrets,
        now=now,
        tolerance_s=tolerance_s,
    )
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise MalformedEvent("the body is not JSON") from exc
    if not isinstance(payload, dict):
        raise MalformedEvent("the body is not a JSON object")
    event = str(payload.get("event") or "")
    fallback = datetime.fromtimestamp(signed_at, UTC)
    if event == "message_created":
        return _message(payload, account_id, fallback, max_text_chars)
    if event == "conversation_created":
        return _conversation(payload, account_id, fallback)
    return IgnoredEvent(event=event or "unknown", reason="not an event that makes a ticket")


def _message(
    payload: dict[str, Any], account_id: str | None, fallback: datetime, max_text_chars: int
) -> InboundMessage | IgnoredEvent:
    if payload.get("message_type") not in ("incoming", 0) or payload.get("private"):
        return IgnoredEvent(event="message_created", reason="not a message from the user")
    sender = _dict(payload.get("sender"))
    if str(sender.get("type", "contact")).lower() != "contact":
        return IgnoredEvent(event="message_created", reason="not a message from the user")
    text = str(payload.get("content") or "").strip()
    if not text:
        return IgnoredEvent(event="message_created", reason="the message has no text")
    if len(text) > max_text_chars:
        raise EventTooLarge(f"the text is {len(text)} characters; the limit is {max_text_chars}")
    message_id = _id(payload.get("id"), "id")
    conversation = _dict(payload.get("conversation"))
    account = _account(payload, conversation, account_id)
    contact = {**_dict(_dict(conversation.get("meta")).get("sender")), **sender}
    return InboundMessage(
        event_id=f"chatwoot:{account or '-'}:message:{message_id}",
        kind="user_message",
        conversation=_ref(conversation, account),
        **_person(contact),
        text=text,
        occurred_at=_when(payload.get("created_at"), fallback),
    )


def _conversation(
    payload: dict[str, Any], account_id: str | None, fallback: datetime
) -> InboundMessage:
    account = _account(payload, payload, account_id)
    ref = _ref(payload, account)
    contact = _dict(_dict(payload.get("meta")).get("sender"))
    return InboundMessage(
        event_id=f"chatwoot:{account or '-'}:conversation:{ref.conversation_id}:opened",
        kind="conversation_opened",
        conversation=ref,
        **_person(contact),
        occurred_at=_when(payload.get("created_at") or payload.get("timestamp"), fallback),
    )


def _ref(conversation: dict[str, Any], account: str | None) -> ConversationRef:
    """Chatwoot's API addresses a conversation by its display id (shown in the dashboard)."""
    raw = conversation.get("display_id", conversation.get("id"))
    return ConversationRef(
        source="chatwoot", conversation_id=_id(raw, "conversation.id"), account_id=account
    )


def _account(
    payload: dict[str, Any], conversation: dict[str, Any], default: str | None
) -> str | None:
    account = _dict(payload.get("account")).get("id")
    if account is None:
        messages = conversation.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            account = messages[0].get("account_id")
    return str(account) if account is not None else default


def _person(contact: dict[str, Any]) -> dict[str, str | None]:
    email = contact.get("email")
    identifier = contact.get("identifier")
    return {
        "user_id": str(identifier) if identifier else None,
        "messenger_user_id": str(contact["id"]) if contact.get("id") is not None else None,
        "user_email": str(email).strip().lower() if email else None,
        "user_name": str(contact["name"]) if contact.get("name") else None,
    }


def _when(value: object, fallback: datetime) -> datetime:
    """Chatwoot sends epoch seconds or one of several date formats; the signed time else."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str) and value.strip():
            parsed = dateparser.parse(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return fallback


def _id(value: object, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise MalformedEvent(f"{field} is missing or not an id")
    return str(value).strip()


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
