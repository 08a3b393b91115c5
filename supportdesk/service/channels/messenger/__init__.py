"""The in-app messenger: signed webhooks in (our own shape or Chatwoot's), replies out.

The webhook endpoint passes the raw body and headers to ``MessengerSettings.verify`` (or
``verify_native`` / ``verify_chatwoot``) and gets an ``InboundMessage`` to hand to the
intake, an ``IgnoredEvent`` to answer 200 to, or a ``WebhookRefused`` whose ``status`` is
the answer (401 bad signature or stale, 400 malformed, 413 too large). The reply operation
calls ``MessengerSettings.reply_client().send_reply(OutboundReply(...))``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportdesk.service.channels.lazy_names import lazy_getattr

if TYPE_CHECKING:
    from supportdesk.service.channels.messenger.chatwoot import verify_chatwoot
    from supportdesk.service.channels.messenger.client import (
        ChatwootReplyClient,
        MessengerClient,
        SupportdeskReplyClient,
    )
    from supportdesk.service.channels.messenger.models import (
        BadSignature,
        ConversationRef,
        EventTooLarge,
        IgnoredEvent,
        InboundMessage,
        MalformedEvent,
        OutboundReply,
        ReplyError,
        ReplyPermanent,
        ReplyReceipt,
        ReplyTemporary,
        StaleEvent,
        WebhookRefused,
    )
    from supportdesk.service.channels.messenger.native import sign_headers, verify_native
    from supportdesk.service.channels.messenger.settings import MessengerSettings

__all__ = [
    "BadSignature",
    "ChatwootReplyClient",
    "ConversationRef",
    "EventTooLarge",
    "IgnoredEvent",
    "InboundMessage",
    "MalformedEvent",
    "MessengerClient",
    "MessengerSettings",
    "OutboundReply",
    "ReplyError",
    "ReplyPermanent",
    "ReplyReceipt",
    "ReplyTemporary",
    "StaleEvent",
    "SupportdeskReplyClient",
    "WebhookRefused",
    "sign_headers",
    "verify_chatwoot",
    "verify_native",
]

_HOMES = {
    "BadSignature": "models",
    "ChatwootReplyClient": "client",
    "ConversationRef": "models",
    "EventTooLarge": "models",
    "IgnoredEvent": "models",
    "InboundMessage": "models",
    "MalformedEvent": "models",
    "MessengerClient": "client",
    "MessengerSettings": "settings",
    "OutboundReply": "models",
    "ReplyError": "models",
    "ReplyPermanent": "models",
    "ReplyReceipt": "models",
    "ReplyTemporary": "models",
    "StaleEvent": "models",
    "SupportdeskReplyClient": "client",
    "WebhookRefused": "models",
    "sign_headers": "native",
    "verify_chatwoot": "chatwoot",
    "verify_native": "native",
}
"""Each public name's module: it loads when the name is first asked for, so reading the
settings (every service start) does not load the channel's parsers, models and clients."""

__getattr__ = lazy_getattr(__name__, _HOMES)
