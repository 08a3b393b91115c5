"""The support mailbox: parse what arrives, poll IMAP for it, answer by SMTP.

The intake operation gives ``MailPoller`` a handler; each ``MailDelivery`` carries an
``InboundMail`` (or ``MailRejected``) and the ``MailCheckpoint`` to persist with the ticket.
The reply operation builds a ``MailReply`` and calls ``SmtpSender.send_reply``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportdesk.service.channels.lazy_names import lazy_getattr

if TYPE_CHECKING:
    from supportdesk.service.channels.mail.models import (
        InboundMail,
        MailCheckpoint,
        MailRejected,
        MailReply,
        SentMail,
    )
    from supportdesk.service.channels.mail.parse import parse_mail
    from supportdesk.service.channels.mail.poller import (
        HandlerFailed,
        MailDelivery,
        MailHandler,
        MailPoller,
        PollerState,
    )
    from supportdesk.service.channels.mail.quotes import strip_reply
    from supportdesk.service.channels.mail.settings import MailSettings
    from supportdesk.service.channels.mail.smtp import (
        MailSendError,
        MailSendPermanent,
        MailSendTemporary,
        SmtpSender,
        build_reply,
    )
    from supportdesk.service.channels.mail.threads import (
        find_ticket_ref,
        reply_message_id,
        reply_subject,
        thread_ticket_ref,
    )

__all__ = [
    "HandlerFailed",
    "InboundMail",
    "MailCheckpoint",
    "MailDelivery",
    "MailHandler",
    "MailPoller",
    "MailRejected",
    "MailReply",
    "MailSendError",
    "MailSendPermanent",
    "MailSendTemporary",
    "MailSettings",
    "PollerState",
    "SentMail",
    "SmtpSender",
    "build_reply",
    "find_ticket_ref",
    "parse_mail",
    "reply_message_id",
    "reply_subject",
    "strip_reply",
    "thread_ticket_ref",
]

_HOMES = {
    "HandlerFailed": "poller",
    "InboundMail": "models",
    "MailCheckpoint": "models",
    "MailDelivery": "poller",
    "MailHandler": "poller",
    "MailPoller": "poller",
    "MailRejected": "models",
    "MailReply": "models",
    "MailSendError": "smtp",
    "MailSendPermanent": "smtp",
    "MailSendTemporary": "smtp",
    "MailSettings": "settings",
    "PollerState": "poller",
    "SentMail": "models",
    "SmtpSender": "smtp",
    "build_reply": "smtp",
    "find_ticket_ref": "threads",
    "parse_mail": "parse",
    "reply_message_id": "threads",
    "reply_subject": "threads",
    "strip_reply": "quotes",
    "thread_ticket_ref": "threads",
}
"""Each public name's module: it loads when the name is first asked for, so reading the
settings (every service start) does not load the channel's parsers, models and clients."""

__getattr__ = lazy_getattr(__name__, _HOMES)
