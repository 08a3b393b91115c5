"""Replies by SMTP: an answer in the user's thread, sent from the support address.

``smtplib`` in a worker thread: one short conversation per reply does not justify an
asyncio SMTP dependency. Failures are typed so the reply operation can decide:
``MailSendPermanent`` (5xx, refused recipient or sender, login refused, no STARTTLS, a
certificate that does not verify: retrying will not help, the ticket stays open with the
reason) and ``MailSendTemporary`` (4xx, connection trouble, timeouts: retry later with the
same idempotency key, hence the same Message-ID).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from supportdesk.service.channels.mail.models import MailReply, SentMail
from supportdesk.service.channels.mail.settings import MailSettings
from supportdesk.service.channels.mail.threads import (
    reply_message_id,
    reply_references,
    reply_subject,
)
from supportdesk.service.channels.tls import client_context


class MailSendError(Exception):
    """A reply that did not go out; ``reason`` is fit to show on the ticket."""

    def __init__(self, reason: str, *, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class MailSendPermanent(MailSendError):
    """Retrying the same reply will fail the same way."""


class MailSendTemporary(MailSendError):
    """Worth retrying later, with the same idempotency key."""


def build_reply(reply: MailReply, settings: MailSettings, *, now: datetime) -> EmailMessage:
    """The reply as a message: threaded, tagged with the ticket, from the support address."""
    message = EmailMessage()
    message["From"] = Address(settings.support_name, addr_spec=settings.support_address)
    message["To"] = Address(reply.to_name or "", addr_spec=reply.to_address)
    message["Subject"] = reply_subject(reply.subject, reply.ticket_id)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = reply_message_id(
        reply.idempotency_key, reply.ticket_id, settings.support_domain
    )
    if reply.in_reply_to:
        message["In-Reply-To"] = reply.in_reply_to
    references = reply_references(reply.in_reply_to, reply.references)
    if references:
        message["References"] = " ".join(references)
    message["X-Supportdesk-Ticket"] = reply.ticket_id
    message.set_content(reply.text)
    return message


class SmtpSender:
    """Sends through the configured SMTP server (``tls``, ``starttls`` or loopback ``plain``)."""

    def __init__(self, settings: MailSettings, *, ssl_context: ssl.SSLContext | None = None):
        if not settings.smtp_host:
            raise ValueError("the mail channel has no smtp_host")
        self._settings = settings
        self._context = ssl_context or client_context(settings.ca_file)

    async def send_reply(self, reply: MailReply, *, now: datetime) -> SentMail:
        return await self.send(build_reply(reply, self._settings, now=now))

    async def send(self, message: EmailMessage) -> SentMail:
        """Send one message; raises ``MailSendPermanent`` or ``MailSendTemporary``."""
        return await asyncio.to_thread(self._send_blocking, message)

    def _send_blocking(self, message: EmailMessage) -> SentMail:
        s = self._settings
        to = message["To"].addresses[0].addr_spec
        try:
            with self._open() as smtp:
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_secret() or "")
                smtp.send_message(message, from_addr=s.support_address, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _by_code(code, f"the recipient was refused: {_text(text)}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise MailSendPermanent(
                f"the SMTP server refused the login: {_text(exc.smtp_error)}", code=exc.smtp_code
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailSendPermanent(f"the SMTP server cannot do this: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, f"the SMTP server said: {_text(exc.smtp_error)}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise MailSendPermanent(
                f"the SMTP server's certificate does not verify: {exc.verify_message}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailSendTemporary(f"the SMTP server could not be reached: {exc}") from exc
        return SentMail(
            message_id=str(message["Message-ID"]), to_address=to, subject=str(message["Subject"])
        )

    def _open(self) -> smtplib.SMTP:
        s = self._settings
        host, port, timeout = s.smtp_host or "", s.smtp_port_value(), s.timeout_s
        if s.smtp_security == "tls":
            return smtplib.SMTP_SSL(host, port, timeout=timeout, context=self._context)
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if s.smtp_security == "starttls":
            try:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError(f"{host} does not offer STARTTLS")
                smtp.starttls(context=self._context)
                smtp.ehlo()
            except BaseException:
                smtp.close()
                raise
        return smtp


def _by_code(code: int, reason: str) -> MailSendError:
    kind = MailSendTemporary if 400 <= code < 500 else MailSendPermanent
    return kind(reason, code=code)


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
