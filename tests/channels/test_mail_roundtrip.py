"""A user's e-mail reaches the intake, the agent's reply reaches the user in the same
thread, and the user's answer is recognised as the same ticket: all through real servers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from supportdesk.service.channels.mail import (
    MailPoller,
    MailReply,
    MailSettings,
    SmtpSender,
    reply_message_id,
    thread_ticket_ref,
)
from tests.channels.mailserver import DOMAIN, MailWorld
from tests.channels.waiting import Intake

NOW = datetime(2026, 11, 27, 15, 42, tzinfo=UTC)


async def test_a_users_mail_reaches_the_intake_and_is_marked_taken(
    mail_servers: MailWorld,
) -> None:
    support = mail_servers.new_mailbox()
    user = mail_servers.new_mailbox()
    settings = MailSettings(**mail_servers.mail_settings(support))
    intake = Intake()
    poller = MailPoller(settings, intake)
    task = asyncio.create_task(poller.run())
    try:
        await poller.wait_for_state("idle", 15)
        message_id = mail_servers.send_as(
            user,
            support.address,
            "The code never arrives",
            "Hi, I asked for a code three times and no text came.\n\n-- \nAna\n",
        )
        await intake.wait_for(1)
    finally:
        poller.stop()
        await task
    mail = intake.tickets[message_id].mail
    assert mail is not None
    assert mail.from_address == user.address
    assert mail.subject == "The code never arrives"
    assert mail.ticket_text == "Hi, I asked for a code three times and no text came."
    assert "Ana" in mail.original_text
    assert intake.checkpoint is not None and intake.checkpoint.last_uid == 1
    flags = mail_servers.flags(support)
    assert "\\Seen" in flags[0] and "$SupportdeskTaken" in flags[0]


async def test_reply_lands_in_the_users_thread_and_the_answer_finds_the_ticket(
    mail_servers: MailWorld,
) -> None:
    support = mail_servers.new_mailbox()
    user = mail_servers.new_mailbox()
    settings = MailSettings(**mail_servers.mail_settings(support))
    first_id = mail_servers.send_as(user, support.address, "Nowy telefon", "Zgubiłem telefon.")
    intake = Intake()
    assert await MailPoller(settings, intake).sync_once() == 1
    first = intake.tickets[first_id].mail
    assert first is not None

    reply = MailReply.answering(
        first,
        ticket_id="T-2001",
        text="We removed the lost phone; set up the new one from the link we sent.",
        idempotency_key="reply-key-0001",
    )
    sent = await SmtpSender(settings).send_reply(reply, now=NOW)

    inbox = [_parse(raw) for raw in mail_servers.read_mailbox(user)]
    assert len(inbox) == 1
    got = inbox[0]
    assert got["Subject"] == "Re: Nowy telefon [T-2001]"
    assert got["In-Reply-To"] == first_id
    assert first_id in str(got["References"]).split()
    assert got["Message-ID"] == sent.message_id
    assert sent.message_id == reply_message_id("reply-key-0001", "T-2001", DOMAIN)
    assert got["From"].addresses[0].addr_spec == support.address
    assert "removed the lost phone" in got.get_content()

    answer = _answer(got, user.address, "Dziękuję, działa!")
    answer_id = mail_servers.submit(user, answer.as_bytes(), support.address)
    intake_again = Intake()
    poller = MailPoller(settings, intake_again, checkpoint=intake.checkpoint)
    assert await poller.sync_once() == 1
    mail = intake_again.tickets[answer_id].mail
    assert mail is not None
    assert thread_ticket_ref(mail, DOMAIN) == "T-2001"
    assert first_id in mail.thread_ids
    assert mail.ticket_text == "Dziękuję, działa!"


def _parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _answer(reply: EmailMessage, sender: str, text: str) -> EmailMessage:
    """What the user's client sends when they answer: quoted reply, thread headers."""
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = str(reply["From"])
    answer["Subject"] = f"Odp: {reply['Subject']}"
    answer["Message-ID"] = f"<answer-{abs(hash(text))}@user.test>"
    answer["In-Reply-To"] = str(reply["Message-ID"])
    answer["References"] = f"{reply['References']} {reply['Message-ID']}"
    quoted = "\n".join(f"> {line}" for line in reply.get_content().splitlines())
    answer.set_content(
        f"{text}\n\nW dniu pt., 27 lis 2026 o 15:42 Alvys Support <{reply['From'].addresses[0].addr_spec}> napisał(a):\n{quoted}\n"  # noqa: E501
    )
    return answer
