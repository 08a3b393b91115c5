"""The support mailbox: parse what arrives, poll IMAP for it, answer by SMTP.

The intake operation gives ``MailPoller`` a handler; each ``MailDelivery`` carries an
``InboundMail`` (or ``MailRejected``) and the ``MailCheckpoint`` to persist with the ticket.
The reply operation builds a ``MailReply`` and calls ``SmtpSender.send_reply``.
"""

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
