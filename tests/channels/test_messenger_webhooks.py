"""Webhook verification: our own shape and Chatwoot's, signed with the shared secret."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from supportdesk.service.channels.messenger import (
    BadSignature,
    EventTooLarge,
    IgnoredEvent,
    InboundMessage,
    MalformedEvent,
    MessengerSettings,
    StaleEvent,
    WebhookRefused,
    sign_headers,
    verify_chatwoot,
    verify_native,
)
from supportdesk.service.channels.messenger.signing import signature

NOW = datetime(2026, 11, 27, 15, 42, 10, tzinfo=UTC)
SECRET = "whsec-test-7f3a9c"
STAMP = int(NOW.timestamp())


def native_body(**overrides: Any) -> bytes:
    event: dict[str, Any] = {
        "event_id": "evt_8c1f",
        "type": "message.created",
        "occurred_at": "2026-11-27T15:42:05Z",
        "conversation_id": "conv_77",
        "user": {"id": "u1023", "email": "Ana.Lopez@Example.com", "name": "Ana López"},
        "text": "  El código no funciona  ",
        "client_version": "3.2",
    }
    event.update(overrides)
    return json.dumps(event).encode()


def native(body: bytes, headers: dict[str, str], **kw: Any) -> InboundMessage:
    return verify_native(body, headers, secrets=kw.pop("secrets", [SECRET]), now=NOW, **kw)


def test_a_signed_native_event_is_read() -> None:
    body = native_body()
    event = native(body, sign_headers(body, SECRET, STAMP))
    assert event.event_id == "supportdesk:evt_8c1f"
    assert event.kind == "user_message"
    assert event.conversation.conversation_id == "conv_77"
    assert event.conversation.source == "supportdesk"
    assert (event.user_id, event.user_email, event.user_name) == (
        "u1023",
        "ana.lopez@example.com",
        "Ana López",
    )
    assert event.text == "El código no funciona"
    assert event.occurred_at == datetime(2026, 11, 27, 15, 42, 5, tzinfo=UTC)


def test_a_retried_delivery_has_the_same_event_id() -> None:
    body = native_body()
    first = native(body, sign_headers(body, SECRET, STAMP - 60))
    retry = native(body, sign_headers(body, SECRET, STAMP))
    assert first.event_id == retry.event_id


def test_conversation_opened_may_come_without_text() -> None:
    body = native_body(type="conversation.opened", text="")
    event = native(body, sign_headers(body, SECRET, STAMP))
    assert event.kind == "conversation_opened" and event.text == ""


def test_headers_are_found_whatever_their_case() -> None:
    body = native_body()
    headers = {k.lower(): v for k, v in sign_headers(body, SECRET, STAMP).items()}
    assert native(body, headers).event_id == "supportdesk:evt_8c1f"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b: b.replace(b"conv_77", b"conv_78"),
        lambda b: b + b" ",
        lambda b: b.replace(b"u1023", b"u1024"),
    ],
)
def test_a_tampered_body_is_refused(tamper: Any) -> None:
    body = native_body()
    headers = sign_headers(body, SECRET, STAMP)
    with pytest.raises(BadSignature) as refused:
        native(tamper(body), headers)
    assert refused.value.status == 401


def test_a_replayed_signature_with_a_fresh_timestamp_is_refused() -> None:
    body = native_body()
    old = sign_headers(body, SECRET, STAMP - 3600)
    forged = {**old, "X-Supportdesk-Timestamp": str(STAMP)}
    with pytest.raises(BadSignature):
        native(body, forged)


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_an_old_or_future_timestamp_is_refused(offset: int) -> None:
    body = native_body()
    with pytest.raises(StaleEvent) as refused:
        native(body, sign_headers(body, SECRET, STAMP + offset))
    assert refused.value.status == 401
    assert "at most 300 s" in refused.value.message


def test_a_timestamp_inside_the_window_is_accepted() -> None:
    body = native_body()
    assert native(body, sign_headers(body, SECRET, STAMP - 299)).text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Supportdesk-Timestamp": str(STAMP)},
        {"X-Supportdesk-Timestamp": "yesterday", "X-Supportdesk-Signature": "v1=00"},
        {"X-Supportdesk-Timestamp": str(STAMP), "X-Supportdesk-Signature": "00ff"},
    ],
)
def test_missing_or_broken_signature_headers_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(BadSignature):
        native(native_body(), headers)


def test_the_wrong_secret_is_refused_and_the_previous_one_still_works() -> None:
    body = native_body()
    headers = sign_headers(body, "old-secret", STAMP)
    with pytest.raises(BadSignature):
        native(body, headers)
    assert native(body, headers, secrets=[SECRET, "old-secret"]).text


def test_without_a_configured_secret_nothing_is_trusted() -> None:
    body = native_body()
    with pytest.raises(BadSignature, match="no webhook secret"):
        native(body, sign_headers(body, "", STAMP), secrets=[""])


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not JSON"),
        (native_body(type="conversation.closed"), "type"),
        (native_body(text="   "), "needs text"),
        (native_body(event_id=""), "event_id"),
        (native_body(occurred_at="soon"), "occurred_at"),
    ],
)
def test_a_signed_but_malformed_event_is_refused_with_the_problem(
    body: bytes, problem: str
) -> None:
    with pytest.raises(MalformedEvent, match=problem) as refused:
        native(body, sign_headers(body, SECRET, STAMP))
    assert refused.value.status == 400


def test_oversize_bodies_and_texts_are_refused() -> None:
    big = native_body(text="x" * 5000)
    with pytest.raises(EventTooLarge) as refused:
        native(big, {}, max_body_bytes=1000)
    assert refused.value.status == 413
    with pytest.raises(EventTooLarge, match="characters"):
        native(big, sign_headers(big, SECRET, STAMP), max_text_chars=1000)


# -- Chatwoot ------------------------------------------------------------------------------
def chatwoot_message(**overrides: Any) -> dict[str, Any]:
    """A message_created delivery shaped like Chatwoot's documented sample."""
    payload: dict[str, Any] = {
        "event": "message_created",
        "id": 118,
        "content": "I lost my phone, can you remove the old authenticator?",
        "created_at": "2026-11-27T15:41:58.000Z",
        "message_type": "incoming",
        "content_type": "text",
        "private": False,
        "content_attributes": {},
        "source_id": None,
        "sender": {"id": 14, "name": "Piotr Zieliński", "avatar": "", "type": "contact"},
        "inbox": {"id": 1, "name": "Alvys Support"},
        "conversation": {
            "id": 10,
            "inbox_id": 1,
            "channel": "Channel::WebWidget",
            "status": "open",
            "meta": {
                "sender": {
                    "id": 14,
                    "email": "Piotr@Example.PL",
                    "identifier": "u1031",
                    "name": "Piotr Zieliński",
                    "type": "contact",
                }
            },
            "timestamp": 1764258118,
        },
        "account": {"id": 3, "name": "Alvys"},
    }
    payload.update(overrides)
    return payload


def chatwoot(payload: dict[str, Any], *, stamp: int = STAMP, secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    headers = {
        "X-Chatwoot-Timestamp": str(stamp),
        "X-Chatwoot-Signature": "sha256=" + signature(secret, stamp, body),
        "X-Chatwoot-Delivery": "1d7d2c3e-delivery",
    }
    return verify_chatwoot(body, headers, secrets=[SECRET], now=NOW)


def test_a_chatwoot_message_from_the_user_is_read() -> None:
    event = chatwoot(chatwoot_message())
    assert isinstance(event, InboundMessage)
    assert event.event_id == "chatwoot:3:message:118"
    assert event.kind == "user_message"
    assert event.conversation.model_dump() == {
        "source": "chatwoot",
        "conversation_id": "10",
        "account_id": "3",
    }
    assert event.user_id == "u1031"
    assert event.messenger_user_id == "14"
    assert event.user_email == "piotr@example.pl"
    assert event.user_name == "Piotr Zieliński"
    assert event.text.startswith("I lost my phone")
    assert event.occurred_at == datetime(2026, 11, 27, 15, 41, 58, tzinfo=UTC)


def test_chatwoots_display_id_addresses_the_conversation() -> None:
    payload = chatwoot_message()
    payload["conversation"]["display_id"] = 4
    assert chatwoot(payload).conversation.conversation_id == "4"


@pytest.mark.parametrize(
    "overrides",
    [
        {"message_type": "outgoing"},
        {"message_type": "activity"},
        {"private": True},
        {"sender": {"id": 1, "name": "Agent", "type": "user"}},
        {"content": None},
        {"event": "conversation_status_changed"},
        {"event": "message_updated"},
    ],
)
def test_chatwoot_events_that_are_not_the_user_writing_make_nothing(
    overrides: dict[str, Any],
) -> None:
    event = chatwoot(chatwoot_message(**overrides))
    assert isinstance(event, IgnoredEvent)


def test_a_chatwoot_conversation_opened() -> None:
    payload = {
        "event": "conversation_created",
        "id": 11,
        "inbox_id": 1,
        "status": "open",
        "messages": [{"id": 120, "account_id": 3, "content": "Hi", "message_type": 0}],
        "meta": {"sender": {"id": 15, "email": "m@example.com", "name": "M", "type": "contact"}},
        "timestamp": 1764258000,
    }
    event = chatwoot(payload)
    assert isinstance(event, InboundMessage)
    assert event.kind == "conversation_opened"
    assert event.event_id == "chatwoot:3:conversation:11:opened"
    assert event.conversation.account_id == "3"
    assert event.user_email == "m@example.com" and event.text == ""
    assert event.occurred_at == datetime.fromtimestamp(1764258000, UTC)


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        (1764258118, datetime.fromtimestamp(1764258118, UTC)),
        ("2026-11-27 15:41:58 UTC", datetime(2026, 11, 27, 15, 41, 58, tzinfo=UTC)),
        ("not a date", NOW),
    ],
)
def test_chatwoot_times_in_their_several_formats(created_at: object, expected: datetime) -> None:
    assert chatwoot(chatwoot_message(created_at=created_at)).occurred_at == expected


def test_a_tampered_or_stale_chatwoot_delivery_is_refused() -> None:
    with pytest.raises(BadSignature):
        chatwoot(chatwoot_message(), secret="someone-else")
    with pytest.raises(StaleEvent):
        chatwoot(chatwoot_message(), stamp=STAMP - 3600)
    body = json.dumps(chatwoot_message()).encode()
    bare = {
        "X-Chatwoot-Timestamp": str(STAMP),
        "X-Chatwoot-Signature": signature(SECRET, STAMP, body),
    }
    with pytest.raises(BadSignature):
        verify_chatwoot(body, bare, secrets=[SECRET], now=NOW)


def test_a_chatwoot_message_without_an_id_is_malformed() -> None:
    payload = chatwoot_message()
    del payload["id"]
    with pytest.raises(MalformedEvent, match="id"):
        chatwoot(payload)


def test_settings_pick_the_format_and_refuse_unsigned_deliveries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUPPORTDESK_MESSENGER_FORMAT", "chatwoot")
    monkeypatch.setenv("SUPPORTDESK_MESSENGER_WEBHOOK_SECRET", SECRET)
    settings = MessengerSettings()
    assert settings.enabled and SECRET not in repr(settings)
    body = json.dumps(chatwoot_message()).encode()
    headers = {
        "X-Chatwoot-Timestamp": str(STAMP),
        "X-Chatwoot-Signature": "sha256=" + signature(SECRET, STAMP, body),
    }
    assert isinstance(settings.verify(body, headers, now=NOW), InboundMessage)
    with pytest.raises(WebhookRefused):
        MessengerSettings(format="supportdesk").verify(body, headers, now=NOW)
