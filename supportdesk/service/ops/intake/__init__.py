"""The intake: an e-mail or a messenger event becomes a ticket, or joins its conversation.

Every arrival is keyed (``mail:<Message-ID>``, the messenger's event id) and the key is
taken in the same transaction as the ticket, its first message and its audit entry, and,
for mail, the poller's checkpoint: a retried delivery or a retaken e-mail makes nothing,
and a crash leaves either all of it or none.

The sender is matched to a user by the messenger's user id or by e-mail address; nobody
matched still makes a ticket, marked "unknown user" (no ``user_id``). A new ticket is
triaged before its transaction opens (the classifier is CPU-heavy; it runs in a thread).
Bad content never raises out of ``take_mail``: the poller would offer it again forever.
"""

from supportdesk.service.ops.intake.core import Taken, ticket_messages
from supportdesk.service.ops.intake.demo import DemoDrop, DemoMessageError, demo_message
from supportdesk.service.ops.intake.mail import mail_checkpoint, mail_handler, take_mail
from supportdesk.service.ops.intake.messenger import (
    WebhookRejected,
    conversation_key,
    receive_webhook,
    take_message,
)

__all__ = [
    "DemoDrop",
    "DemoMessageError",
    "Taken",
    "WebhookRejected",
    "conversation_key",
    "demo_message",
    "mail_checkpoint",
    "mail_handler",
    "receive_webhook",
    "take_mail",
    "take_message",
    "ticket_messages",
]
