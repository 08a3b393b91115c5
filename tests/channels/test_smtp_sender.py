"""The SMTP sender against a real relay: each security mode delivers, failures are typed
permanent or temporary, and a retried reply keeps its Message-ID."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from supportdesk.service.channels.mail import (
    MailReply,
    MailSendPermanent,
    MailSendTemporary,
    MailSettings,
    SmtpSender,
)
from tests.channels.mailserver import DOMAIN, Mailbox, MailWorld, free_port

NOW = datetime(2026, 11, 27, 15, 42, tzinfo=UTC)


def _reply(to: str, key: str = "reply-key-smtp-1") -> MailReply:
    return MailReply(
        ticket_id="T-3001",
        to_address=to,
        to_name="Marta Nowak",
        subject="Re: RE: code rejected [T-3001]",
        in_reply_to="<orig@user.test>",
        references=("<start@user.test>",),
        text="Your authenticator's clock was four minutes behind; it works now.",
        idempotency_key=key,
    )


def _settings(world: MailWorld, support: Mailbox, **overrides: object) -> MailSettings:
    return MailSettings(**world.mail_settings(support, **overrides))


@pytest.mark.parametrize("mode", ["starttls", "tls", "plain"])
async def test_each_security_mode_delivers_into_the_users_mailbox(
    mail_servers: MailWorld, mode: str
) -> None:
    support, user = mail_servers.new_mailbox(), mail_servers.new_mailbox()
    ports = {
        "starttls": mail_servers.relay.starttls_port,
        "tls": mail_servers.relay.tls_port,
        "plain": mail_servers.relay.plain_port,
    }
    overrides: dict[str, object] = {"smtp_security": mode, "smtp_port": ports[mode]}
    if mode == "plain":
        overrides |= {"smtp_user": None, "smtp_password": None}
    await SmtpSender(_settings(mail_servers, support, **overrides)).send_reply(
        _reply(user.address), now=NOW
    )
    [raw] = mail_servers.read_mailbox(user)
    got = message_from_bytes(raw, policy=policy.default)
    assert got["Subject"] == "Re: code rejected [T-3001]"
    assert got["References"] == "<start@user.test> <orig@user.test>"
    assert got["X-Supportdesk-Ticket"] == "T-3001"
    assert str(got["To"]) == f"Marta Nowak <{user.address}>"


async def test_a_retried_reply_carries_the_same_message_id(mail_servers: MailWorld) -> None:
    support, user = mail_servers.new_mailbox(), mail_servers.new_mailbox()
    sender = SmtpSender(_settings(mail_servers, support))
    first = await sender.send_reply(_reply(user.address), now=NOW)
    again = await sender.send_reply(_reply(user.address), now=NOW)
    other = await sender.send_reply(_reply(user.address, key="reply-key-smtp-2"), now=NOW)
    ids = [message_from_bytes(raw)["Message-ID"] for raw in mail_servers.read_mailbox(user)]
    assert ids == [first.message_id, first.message_id, other.message_id]
    assert first.message_id == again.message_id != other.message_id
    assert first.message_id.endswith(f"@{DOMAIN}>")


async def test_a_refused_login_is_permanent(mail_servers: MailWorld) -> None:
    support, user = mail_servers.new_mailbox(), mail_servers.new_mailbox()
    sender = SmtpSender(_settings(mail_servers, support, smtp_password="wrong"))
    with pytest.raises(MailSendPermanent) as refused:
        await sender.send_reply(_reply(user.address), now=NOW)
    assert refused.value.code == 535
    assert mail_servers.read_mailbox(user) == []


@pytest.mark.parametrize(
    ("recipient", "kind", "code"),
    [
        (f"tempfail@{DOMAIN}", MailSendTemporary, 451),
        ("someone@elsewhere.test", MailSendPermanent, 550),
        (f"nobody-here@{DOMAIN}", MailSendPermanent, 550),
    ],
)
async def test_refused_recipients_are_typed_by_the_servers_code(
    mail_servers: MailWorld, recipient: str, kind: type[Exception], code: int
) -> None:
    support = mail_servers.new_mailbox()
    with pytest.raises(kind) as refused:
        await SmtpSender(_settings(mail_servers, support)).send_reply(_reply(recipient), now=NOW)
    assert getattr(refused.value, "code", None) == code


async def test_no_server_listening_is_temporary(mail_servers: MailWorld) -> None:
    support, user = mail_servers.new_mailbox(), mail_servers.new_mailbox()
    sender = SmtpSender(_settings(mail_servers, support, smtp_port=free_port()))
    with pytest.raises(MailSendTemporary, match="could not be reached"):
        await sender.send_reply(_reply(user.address), now=NOW)


async def test_a_certificate_that_does_not_verify_is_permanent(mail_servers: MailWorld) -> None:
    support, user = mail_servers.new_mailbox(), mail_servers.new_mailbox()
    sender = SmtpSender(_settings(mail_servers, support, ca_file=None))
    with pytest.raises(MailSendPermanent, match="certificate"):
        await sender.send_reply(_reply(user.address), now=NOW)
    assert mail_servers.read_mailbox(user) == []
