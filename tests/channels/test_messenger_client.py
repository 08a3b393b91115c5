"""The outbound messenger client against a loopback HTTP endpoint that records requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from supportdesk.service.channels.messenger import (
    ChatwootReplyClient,
    ConversationRef,
    MessengerSettings,
    OutboundReply,
    ReplyPermanent,
    ReplyTemporary,
    SupportdeskReplyClient,
)
from tests.channels.http_recorder import Recorder, serve
from tests.channels.mailserver import free_port


@pytest.fixture
def messenger() -> Iterator[tuple[str, Recorder]]:
    yield from serve()


def reply(key: str = "reply-key-msg-1", source: str = "supportdesk") -> OutboundReply:
    return OutboundReply(
        ticket_id="T-4001",
        conversation=ConversationRef(
            source=source,  # type: ignore[arg-type]
            conversation_id="conv/77",
            account_id="3" if source == "chatwoot" else None,
        ),
        text="We reset your MFA; sign in and set up the app again.",
        idempotency_key=key,
    )


def ours(url: str, **kw: object) -> SupportdeskReplyClient:
    return SupportdeskReplyClient(url, "api-token-123", backoff_s=0, **kw)  # type: ignore[arg-type]


async def test_a_reply_is_posted_with_its_key_and_token(messenger: tuple[str, Recorder]) -> None:
    url, recorder = messenger
    receipt = await ours(url).send_reply(reply())
    assert receipt.remote_id == "msg-1" and receipt.attempts == 1
    [seen] = recorder.requests
    assert seen.path == "/conversations/conv%2F77/replies"
    assert seen.headers["authorization"] == "Bearer api-token-123"
    assert seen.headers["idempotency-key"] == "reply-key-msg-1"
    assert seen.body == {"text": reply().text, "ticket_id": "T-4001"}


@pytest.mark.parametrize("failures", [["503"], ["429"], ["drop"], ["503", "drop"]])
async def test_retries_keep_one_reply_per_idempotency_key(
    messenger: tuple[str, Recorder], failures: list[str]
) -> None:
    url, recorder = messenger
    recorder.script = list(failures)
    receipt = await ours(url).send_reply(reply())
    assert receipt.attempts == len(failures) + 1
    assert len(recorder.replies) == 1
    assert {s.headers["idempotency-key"] for s in recorder.requests} == {"reply-key-msg-1"}
    again = await ours(url).send_reply(reply())
    assert again.remote_id == receipt.remote_id and len(recorder.replies) == 1
    await ours(url).send_reply(reply(key="reply-key-msg-2"))
    assert len(recorder.replies) == 2


async def test_a_refused_token_is_permanent_and_not_retried(
    messenger: tuple[str, Recorder],
) -> None:
    url, recorder = messenger
    recorder.script = ["401"]
    with pytest.raises(ReplyPermanent, match="refused our token") as refused:
        await ours(url).send_reply(reply())
    assert refused.value.status == 401
    assert len(recorder.requests) == 1 and recorder.replies == {}


async def test_a_missing_conversation_is_permanent(messenger: tuple[str, Recorder]) -> None:
    url, recorder = messenger
    recorder.script = ["404"]
    with pytest.raises(ReplyPermanent, match="no such conversation"):
        await ours(url).send_reply(reply())


async def test_a_messenger_that_keeps_failing_is_temporary_after_the_last_attempt(
    messenger: tuple[str, Recorder],
) -> None:
    url, recorder = messenger
    recorder.script = ["503", "503", "503"]
    with pytest.raises(ReplyTemporary) as failed:
        await ours(url, max_attempts=3).send_reply(reply())
    assert failed.value.status == 503 and len(recorder.requests) == 3


async def test_nothing_listening_is_temporary_and_never_landed() -> None:
    client = ours(f"http://127.0.0.1:{free_port()}", max_attempts=2)
    with pytest.raises(ReplyTemporary, match="could not be reached") as failed:
        await client.send_reply(reply())
    assert not failed.value.may_have_landed


async def test_chatwoot_replies_go_to_its_messages_endpoint(
    messenger: tuple[str, Recorder],
) -> None:
    url, recorder = messenger
    receipt = await ChatwootReplyClient(url, "cw-token", backoff_s=0).send_reply(
        reply(source="chatwoot")
    )
    assert receipt.remote_id == "msg-1"
    [seen] = recorder.requests
    assert seen.path == "/api/v1/accounts/3/conversations/conv%2F77/messages"
    assert seen.headers["api_access_token"] == "cw-token"
    assert seen.body == {"content": reply().text, "message_type": "outgoing", "private": False}


async def test_chatwoot_is_not_resent_when_the_answer_was_lost(
    messenger: tuple[str, Recorder],
) -> None:
    url, recorder = messenger
    recorder.script = ["drop"]
    client = ChatwootReplyClient(url, "cw-token", backoff_s=0, max_attempts=3)
    with pytest.raises(ReplyTemporary) as failed:
        await client.send_reply(reply(source="chatwoot"))
    assert failed.value.may_have_landed
    assert len(recorder.requests) == 1 and len(recorder.replies) == 1


async def test_chatwoot_retries_what_surely_did_not_land(messenger: tuple[str, Recorder]) -> None:
    url, recorder = messenger
    recorder.script = ["429"]
    receipt = await ChatwootReplyClient(url, "cw-token", backoff_s=0).send_reply(
        reply(source="chatwoot")
    )
    assert receipt.attempts == 2 and len(recorder.replies) == 1


def test_settings_build_the_client_for_the_configured_messenger(tmp_path: object) -> None:
    settings = MessengerSettings(format="chatwoot", api_url="https://chat.example", api_token="t")
    assert isinstance(settings.reply_client(), ChatwootReplyClient)
    assert isinstance(
        MessengerSettings(api_url="https://m.example", api_token="t").reply_client(),
        SupportdeskReplyClient,
    )
    with pytest.raises(ValueError, match="api_url"):
        MessengerSettings().reply_client()
