"""Which ticket an e-mail belongs to, and how our replies stay in the user's thread.

A ticket number travels in the subject as ``[T-1234]``. Our replies carry a Message-ID
of the form ``<sd.t-1234.<digest>@support-domain>``: the digest comes from the reply's
idempotency key (a retried send has the same Message-ID, so the user's client shows it once),
and the ticket number in it lets an answer be matched by its In-Reply-To / References even
when the user's client rewrote the subject. Either is a claim made by the sender's mail:
the intake still checks that the sender is the ticket's user before appending.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Final

from supportdesk.service.channels.mail.models import InboundMail

TICKET_TAG: Final = re.compile(r"\[\s*(T-\d{1,12})\s*\]", re.IGNORECASE)
_REPLY_PREFIX: Final = re.compile(
    r"^\s*((re|aw|antw|odp|rv|res|r|sv|vs|wg|fw|fwd|tr|rif)(\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_OUR_ID: Final = re.compile(r"^<sd\.(t-\d{1,12})\.[0-9a-f]{20}@([^<>\s]+)>$", re.IGNORECASE)
MESSAGE_ID: Final = re.compile(r"<[^<>\s]+>")
MAX_REFERENCES: Final = 20


def find_ticket_ref(subject: str) -> str | None:
    """The ticket number in a subject ("[T-1234]" in any case), normalised to ``T-1234``."""
    match = TICKET_TAG.search(subject)
    return match.group(1).upper() if match else None


def reply_subject(subject: str, ticket_id: str) -> str:
    """``Re: <subject> [T-1234]``: one "Re:", one tag, whatever the thread did before."""
    base = TICKET_TAG.sub("", subject)
    base = _REPLY_PREFIX.sub("", base)
    base = " ".join(base.split())
    return f"Re: {base} [{ticket_id}]" if base else f"Re: [{ticket_id}]"


def reply_message_id(idempotency_key: str, ticket_id: str, domain: str) -> str:
    """The Message-ID of the reply sent under ``idempotency_key`` (same key, same id)."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:20]
    return f"<sd.{ticket_id.lower()}.{digest}@{domain.lower()}>"


def ticket_from_message_ids(ids: Iterable[str], domain: str) -> str | None:
    """The ticket number of the first of ``ids`` that is one of our replies."""
    for message_id in ids:
        match = _OUR_ID.match(message_id.strip())
        if match and match.group(2).lower() == domain.lower():
            return match.group(1).upper()
    return None


def thread_ticket_ref(mail: InboundMail, domain: str) -> str | None:
    """The ticket a mail answers: by our reply's Message-ID first, else the subject's tag."""
    return ticket_from_message_ids(mail.thread_ids, domain) or mail.ticket_ref


def reply_references(in_reply_to: str | None, references: Sequence[str]) -> tuple[str, ...]:
    """References for a reply (RFC 5322 3.6.4): the parent's References, then the parent.

    Long threads keep the first id and the most recent ones.
    """
    ids: list[str] = []
    for message_id in (*references, in_reply_to):
        if message_id and message_id not in ids:
            ids.append(message_id)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return tuple(ids)


def message_ids(value: str | None) -> list[str]:
    """Every ``<id>`` in a header value, in order."""
    return MESSAGE_ID.findall(value or "")
