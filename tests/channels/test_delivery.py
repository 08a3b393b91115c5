"""The agent's reply goes back the way the ticket came, once, and never silently.

E-mail through the real SMTP relay into the user's Dovecot mailbox, in the same thread;
messenger replies to a loopback HTTP endpoint; each on both stores.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest
from pydantic import SecretStr

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Conflict, InvalidInput
from supportdesk.embedded import client_for
from supportdesk.service.channels.mail import MailSettings
from supportdesk.service.channels.messenger import MessengerSettings, sign_headers
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.app import build_app
from supportdesk.service.ops.mailbox import MailboxRunner, start_mailbox
from tests.channels.http_recorder import Recorder, serve
from tests.channels.intake_support import (
    SECRET,
    audit_actions,
    eventually,
    native_event,
    use_mailbox_as,
)
from tests.channels.mailserver import MailWorld, free_port
from tests.support import sign_in_as

pytestmark = pytest.mark.usefixtures("triage_model")


@pytest.fixture
async def agent(any_ctx: ServiceContext) -> AsyncIterator[SupportDeskClient]:
    async with client_for(any_ctx) as client:
        await sign_in_as(client, any_ctx, "demo-agent")
        yield client


@pytest.fixture
def messenger_api() -> Iterator[tuple[str, Recorder]]:
    yield from serve()


def _parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


async def _running(ctx: ServiceContext) -> MailboxRunner:
    runner = await start_mailbox(ctx)
    assert runner is not None and runner.poller is not None
    await runner.poller.wait_for_state("idle", 15)
    return runner


async def _ticket_from(agent: SupportDeskClient, sender: str, what: str) -> str:
    async def found() -> str | None:
        mine = [t for t in await agent.list_tickets(status="all") if t.sender == sender]
        return mine[0].id if mine else None

    return await eventually(found, what)


async def test_mail_in_reply_out_in_the_same_thread_and_the_answer_on_the_same_ticket(
    any_ctx: ServiceContext, agent: SupportDeskClient, mail_servers: MailWorld
) -> None:
    support, user = mail_servers.new_mailbox(), mail_servers.new_mailbox()
    any_ctx.mail = MailSettings(**mail_servers.mail_settings(support))
    await use_mailbox_as(any_ctx, "u1002", user.address)
    runner = await _running(any_ctx)
    try:
        # The user writes; a triaged ticket is in the agent's queue within seconds.
        asked = mail_servers.send_as(
            user,
            support.address,
            "Why does it keep asking?",
            "Why does it ask me for a code every time I sign in?",
        )
        ticket_id = await _ticket_from(agent, user.address, "the user's e-mail as a ticket")
        ticket = await agent.get_ticket(ticket_id)
        assert ticket.user_id == "u1002" and ticket.status == "open"
        assert ticket.triage is not None and ticket.triage.branch == "why_prompted"

        # The agent resolves with a reply: it reaches the user's mailbox in the thread.
        done = await agent.resolve_ticket(
            ticket_id,
            "explained",
            "explained adaptive MFA",
            reply="You are asked on new devices and after a while away. Nothing is wrong.",
        )
        assert done.status == "resolved"
        [reply] = done.replies
        assert reply.delivery_state == "sent" and reply.delivery_detail
        assert user.address in reply.delivery_detail

        async def delivered() -> EmailMessage | None:
            raws = mail_servers.read_mailbox(user)
            return _parsed(raws[-1]) if raws else None

        answer = await eventually(delivered, "the reply in the user's mailbox")
        assert answer["In-Reply-To"] == asked
        assert asked in str(answer["References"])
        assert answer["Subject"] == f"Re: Why does it keep asking? [{ticket_id}]"
        assert "new devices" in _body(answer)

        # The user answers the reply: it lands on the same ticket, which opens again.
        mail_servers.send_as(
            user,
            support.address,
            f"Re: Why does it keep asking? [{ticket_id}]",
            "Thanks, that makes sense.\n\n> You are asked on new devices",
            In_Reply_To=str(answer["Message-ID"]),
            References=f"{asked} {answer['Message-ID']}",
        )

        async def answered() -> int | None:
            messages = await agent.ticket_messages(ticket_id)
            return len(messages) if len(messages) == 3 else None

        await eventually(answered, "the user's answer on the same ticket")
    finally:
        await runner.stop()
    messages = await agent.ticket_messages(ticket_id)
    assert [(m.direction, m.body) for m in messages] == [
        ("in", "Why does it ask me for a code every time I sign in?"),
        ("out", "You are asked on new devices and after a while away. Nothing is wrong."),
        ("in", "Thanks, that makes sense."),
    ]
    assert (await agent.get_ticket(ticket_id)).status == "open"
    assert len([t for t in await agent.list_tickets(status="all") if t.sender == user.address]) == 1
    assert await audit_actions(any_ctx, ticket_id) == [
        "ticket.received",
        "ticket.reply",
        "ticket.reply_sent",
        "ticket.resolve",
        "ticket.message_appended",
    ]


async def test_a_reply_that_cannot_be_sent_leaves_the_ticket_open_and_a_retry_sends_it_once(
    any_ctx: ServiceContext, agent: SupportDeskClient, mail_servers: MailWorld
) -> None:
    support, user = mail_servers.new_mailbox(), mail_servers.new_mailbox()
    working = mail_servers.mail_settings(support)
    any_ctx.mail = MailSettings(**working)
    runner = await _running(any_ctx)
    try:
        mail_servers.send_as(user, support.address, "SMS", "The text with the code never comes.")
        ticket_id = await _ticket_from(agent, user.address, "the ticket")
    finally:
        await runner.stop()

    # The SMTP server is down: the resolution is refused with the reason, nothing resolved.
    any_ctx.mail = MailSettings(**{**working, "smtp_port": free_port()})
    with pytest.raises(Conflict, match="The reply was not sent") as refused:
        await agent.resolve_ticket(
            ticket_id,
            "explained",
            "asked to wait",
            reply="Please wait five minutes.",
            reply_key="reply-key-0001",
        )
    assert "stays open" in str(refused.value)
    ticket = await agent.get_ticket(ticket_id)
    assert ticket.status == "open"
    [reply] = ticket.replies
    assert reply.delivery_state == "failed"
    assert reply.delivery_detail and "could not be reached" in reply.delivery_detail

    # Back up: the same request (same key) sends it once and resolves.
    any_ctx.mail = MailSettings(**working)
    for _ in range(2):  # the desk retrying after a lost answer changes nothing more
        ticket = (
            await agent.resolve_ticket(
                ticket_id,
                "explained",
                "asked to wait",
                reply="Please wait five minutes.",
                reply_key="reply-key-0001",
            )
            if ticket.status == "open"
            else await agent.get_ticket(ticket_id)
        )
    assert ticket.status == "resolved"
    assert [r.delivery_state for r in ticket.replies] == ["sent"]
    assert len(mail_servers.read_mailbox(user)) == 1
    assert await audit_actions(any_ctx, ticket_id) == [
        "ticket.received",
        "ticket.reply",
        "ticket.reply_failed",
        "ticket.reply_sent",
        "ticket.resolve",
    ]


async def test_a_reply_with_a_code_in_it_is_stopped_before_anything_is_sent(
    any_ctx: ServiceContext, agent: SupportDeskClient, messenger_api: tuple[str, Recorder]
) -> None:
    url, recorder = messenger_api
    any_ctx.messenger = MessengerSettings(
        webhook_secret=SecretStr(SECRET), api_url=url, api_token=SecretStr("token-1")
    )
    ticket_id = await _messenger_ticket(any_ctx, "conv_code", "my code is not accepted")
    with pytest.raises(InvalidInput, match="Not sent"):
        await agent.add_reply(ticket_id, "Use the code 482 913 to sign in.")
    ticket = await agent.get_ticket(ticket_id)
    assert ticket.replies == [] and recorder.requests == []


async def test_a_messenger_reply_is_posted_to_the_conversation_once(
    any_ctx: ServiceContext, agent: SupportDeskClient, messenger_api: tuple[str, Recorder]
) -> None:
    url, recorder = messenger_api
    any_ctx.messenger = MessengerSettings(
        webhook_secret=SecretStr(SECRET), api_url=url, api_token=SecretStr("token-1"), backoff_s=0
    )
    ticket_id = await _messenger_ticket(any_ctx, "conv_42", "Can I use Bitwarden for the codes?")
    yes = "Yes: Bitwarden can hold the authenticator."
    recorder.script = ["503"]  # the first attempt fails; the client retries with the key
    for _ in range(2):  # and the desk sends the same reply twice (a lost answer)
        ticket = await agent.add_reply(ticket_id, yes, idempotency_key="reply-key-0042")
    [reply] = ticket.replies
    assert reply.delivery_state == "sent"
    assert ticket.status == "open"
    posted = [r for r in recorder.requests if r.method == "POST"]
    assert {r.path for r in posted} == {"/conversations/conv_42/replies"}
    assert len(recorder.replies) == 1  # stored once by the messenger
    assert posted[-1].body == {
        "text": yes,
        "ticket_id": ticket_id,
    }
    assert posted[-1].headers.get("authorization") == "Bearer token-1"
    assert [m.direction for m in await agent.ticket_messages(ticket_id)] == ["in", "out"]
    assert await audit_actions(any_ctx, ticket_id) == [
        "ticket.received",
        "ticket.reply",
        "ticket.reply_sent",
    ]


async def test_a_messenger_that_refuses_the_reply_leaves_the_resolution_undone(
    any_ctx: ServiceContext, agent: SupportDeskClient, messenger_api: tuple[str, Recorder]
) -> None:
    url, recorder = messenger_api
    any_ctx.messenger = MessengerSettings(
        webhook_secret=SecretStr(SECRET), api_url=url, api_token=SecretStr("token-1")
    )
    ticket_id = await _messenger_ticket(any_ctx, "conv_gone", "Why am I asked for MFA?")
    recorder.script = ["401"]
    with pytest.raises(Conflict, match="stays open"):
        await agent.resolve_ticket(ticket_id, "explained", "told why", reply="It is adaptive MFA.")
    ticket = await agent.get_ticket(ticket_id)
    assert ticket.status == "open"
    assert ticket.replies[0].delivery_state == "failed"


async def _messenger_ticket(ctx: ServiceContext, conversation: str, text: str) -> str:
    body = native_event(f"evt-{conversation}", conversation, text, email="someone@else.example")
    transport = httpx.ASGITransport(app=build_app(ctx), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        answer = await http.post(
            "/v1/intake/messenger",
            content=body,
            headers={
                "Content-Type": "application/json",
                **sign_headers(body, SECRET, int(ctx.clock.now().timestamp())),
            },
        )
    assert answer.status_code == 200, answer.text
    ticket_id = answer.json()["ticket_id"]
    assert isinstance(ticket_id, str)
    return ticket_id
