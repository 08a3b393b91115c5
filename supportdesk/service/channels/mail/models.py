"""What the mail adapters hand to the intake and reply operations, and take from them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RefusalReason = Literal["oversize", "malformed", "no_sender", "empty"]


class MailRejected(ValueError):
    """A message that cannot become a ticket; ``message`` says why in words for the audit.

    ``sender`` and ``message_id`` are filled when the headers could still be read, so the
    intake can tell the sender and never retakes the same message.
    """

    def __init__(
        self,
        reason: RefusalReason,
        message: str,
        *,
        sender: str | None = None,
        message_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.reason: RefusalReason = reason
        self.message = message
        self.sender = sender
        self.message_id = message_id


class InboundMail(BaseModel):
    """One e-mail as a ticket sees it.

    ``ticket_text`` is what the agent reads (quotes and signatures gone); ``original_text``
    is the whole body as sent, kept for the record. ``thread_ids`` are the Message-IDs this
    mail answers (In-Reply-To first, then References newest first): the intake looks them
    up to append to an existing ticket.
    """

    model_config = ConfigDict(frozen=True)

    message_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    from_address: str
    from_name: str | None = None
    reply_to: str | None = None
    """Where an answer goes (Reply-To when given, else From)."""
    to_addresses: tuple[str, ...] = ()
    subject: str = ""
    sent_at: datetime | None = None
    ticket_ref: str | None = None
    """The ticket number the subject carries ("[T-1234]"), when it does."""
    original_text: str
    ticket_text: str
    html_only: bool = False
    truncated: bool = False
    attachments: int = 0
    size_bytes: int = 0
    automatic: bool = False
    """An auto-reply, bounce or list mail (Auto-Submitted, Precedence): never answer it."""

    @property
    def thread_ids(self) -> tuple[str, ...]:
        ids: list[str] = []
        for candidate in (self.in_reply_to, *reversed(self.references)):
            if candidate and candidate not in ids:
                ids.append(candidate)
        return tuple(ids)


class MailCheckpoint(BaseModel):
    """How far the poller has taken a folder: persist it with the ticket it produced.

    IMAP UIDs only grow within one UIDVALIDITY; a new UIDVALIDITY (the folder was rebuilt)
    makes the poller fall back to unseen messages without its keyword.
    """

    model_config = ConfigDict(frozen=True)

    folder: str
    uidvalidity: int
    last_uid: int = Field(ge=0)


class MailReply(BaseModel):
    """The agent's answer, to go out as a reply in the user's thread."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    to_address: str
    to_name: str | None = None
    subject: str
    """The subject of the mail being answered (or the ticket's); "Re:" and the tag are added."""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    text: str
    idempotency_key: str = Field(min_length=8, max_length=200)
    """One per reply: a retried send carries the same Message-ID."""

    @classmethod
    def answering(
        cls, mail: InboundMail, *, ticket_id: str, text: str, idempotency_key: str
    ) -> MailReply:
        """The reply to ``mail`` (the ticket's latest e-mail from the user), in its thread."""
        return cls(
            ticket_id=ticket_id,
            to_address=mail.reply_to or mail.from_address,
            to_name=mail.from_name,
            subject=mail.subject,
            in_reply_to=mail.message_id,
            references=mail.references,
            text=text,
            idempotency_key=idempotency_key,
        )


class SentMail(BaseModel):
    """What the SMTP server accepted."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    to_address: str
    subject: str
