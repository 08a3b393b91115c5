"""An RFC 5322 message in, an ``InboundMail`` out (or ``MailRejected`` saying why not).

The stdlib parser with ``policy.default`` decodes headers (RFC 2047 subjects, display
names), transfer encodings and charsets. Attachments are counted, never kept: a ticket is
text. Limits are checked before anything is decoded.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from typing import Final

from supportdesk.service.channels.mail.html_text import html_to_text
from supportdesk.service.channels.mail.models import InboundMail, MailRejected
from supportdesk.service.channels.mail.quotes import strip_reply
from supportdesk.service.channels.mail.threads import find_ticket_ref, message_ids

DEFAULT_MAX_BYTES: Final = 15_000_000
DEFAULT_MAX_TEXT: Final = 20_000
_AUTOMATIC_PRECEDENCE: Final = frozenset({"bulk", "junk", "list", "auto_reply"})
_AUTOMATIC_HEADERS: Final = ("list-id", "x-autoreply", "x-autorespond")


def parse_mail(
    raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_text_chars: int = DEFAULT_MAX_TEXT
) -> InboundMail:
    """Parse one message as the mailbox holds it."""
    if not raw.strip():
        raise MailRejected("malformed", "the message is empty")
    if len(raw) > max_bytes:
        raise oversize_rejection(raw, len(raw), max_bytes)
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        return _read(message, raw, max_text_chars)
    except MailRejected:
        raise
    except (ValueError, TypeError, LookupError, IndexError, AttributeError) as exc:
        raise MailRejected(
            "malformed", f"the message cannot be read ({type(exc).__name__})"
        ) from exc


def _read(message: EmailMessage, raw: bytes, max_text_chars: int) -> InboundMail:
    if not message.keys():
        raise MailRejected("malformed", "the message has no headers")
    message_id = _first_id(_header(message, "message-id")) or _synthetic_id(raw)
    sender = _first_address(message, "from")
    if sender is None:
        raise MailRejected(
            "no_sender", "the message has no usable From address", message_id=message_id
        )
    subject = " ".join(_header(message, "subject").split())
    original, html_only = _body_text(message)
    truncated = len(original) > max_text_chars
    original = original[:max_text_chars]
    ticket_text = strip_reply(original)
    if not ticket_text:
        ticket_text = subject
    if not ticket_text:
        raise MailRejected(
            "empty",
            "the message has neither text nor a subject",
            sender=sender.addr_spec.lower(),
            message_id=message_id,
        )
    reply_to = _first_address(message, "reply-to")
    references = tuple(message_ids(_header(message, "references")))[-50:]
    return InboundMail(
        message_id=message_id,
        in_reply_to=_first_id(_header(message, "in-reply-to")),
        references=references,
        from_address=sender.addr_spec.lower(),
        from_name=sender.display_name or None,
        reply_to=(reply_to or sender).addr_spec.lower(),
        to_addresses=tuple(_addresses(message, "to") + _addresses(message, "cc")),
        subject=subject,
        sent_at=_date(message),
        ticket_ref=find_ticket_ref(subject),
        original_text=original,
        ticket_text=ticket_text,
        html_only=html_only,
        truncated=truncated,
        attachments=_count_attachments(message),
        size_bytes=len(raw),
        automatic=_is_automatic(message),
    )


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return str(value) if value is not None else ""


def _first_id(value: str) -> str | None:
    ids = message_ids(value)
    if ids:
        return ids[0]
    bare = value.strip()
    return f"<{bare}>" if bare and " " not in bare and "@" in bare else None


def _synthetic_id(raw: bytes) -> str:
    """A stable id for a message that has none: the same bytes give the same id."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.invalid>"


def _addresses(message: EmailMessage, name: str) -> list[str]:
    header = message.get(name)
    found: tuple[Address, ...] = getattr(header, "addresses", ()) if header is not None else ()
    return [a.addr_spec.lower() for a in found if "@" in a.addr_spec]


def _first_address(message: EmailMessage, name: str) -> Address | None:
    header = message.get(name)
    found: tuple[Address, ...] = getattr(header, "addresses", ()) if header is not None else ()
    for address in found:
        if address.username and address.domain:
            return address
    return None


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = getattr(message.get("date"), "datetime", None)
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, datetime) else None


def _body_text(message: EmailMessage) -> tuple[str, bool]:
    """The text/plain body, else the HTML one as text; "" when there is neither."""
    body = message.get_body(preferencelist=("plain", "html"))
    if not isinstance(body, EmailMessage):
        return "", False
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = content if isinstance(content, str) else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if body.get_content_subtype() == "html":
        return html_to_text(text), True
    return text, False


def _count_attachments(message: EmailMessage) -> int:
    count = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        if disposition == "attachment" or (
            part.get_filename() and part.get_content_maintype() != "text"
        ):
            count += 1
    return count


def _is_automatic(message: EmailMessage) -> bool:
    auto_submitted = _header(message, "auto-submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _header(message, "precedence").strip().lower() in _AUTOMATIC_PRECEDENCE:
        return True
    if _header(message, "return-path").strip() == "<>":
        return True
    if message.get_content_type() == "multipart/report":
        return True
    return any(message.get(name) is not None for name in _AUTOMATIC_HEADERS)


def oversize_rejection(head: bytes, size: int, max_bytes: int) -> MailRejected:
    """The refusal of a message over the limit, named by what its headers say."""
    sender, message_id = _peek_headers(head)
    return MailRejected(
        "oversize",
        f"the message is {size} bytes; the limit is {max_bytes}",
        sender=sender,
        message_id=message_id,
    )


def _peek_headers(raw: bytes) -> tuple[str | None, str | None]:
    """Sender and Message-ID from the first 64 KiB of a message."""
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw[:65536])
        assert isinstance(headers, EmailMessage)
        sender = _first_address(headers, "from")
        return (
            sender.addr_spec.lower() if sender else None,
            _first_id(_header(headers, "message-id")),
        )
    except (ValueError, TypeError, LookupError, IndexError, AttributeError):
        return None, None
