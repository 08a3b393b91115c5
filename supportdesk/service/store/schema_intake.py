"""The intake's tables (issue 15): the columns tickets gained, conversations, taken keys.

Part of `schema` (which imports this module at its end), kept apart so both stay short.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from supportdesk.service.store.schema import UTCDateTime, metadata, tickets

tickets.append_column(Column("sender", String(256), nullable=True))
"""Who wrote: the e-mail address, or the messenger's e-mail / id for the person."""
tickets.append_column(Column("sender_name", String(128), nullable=True))
tickets.append_column(Column("conversation_key", String(255), nullable=True))
"""The messenger conversation ("chatwoot:<account>:<id>"): a new message there is appended.
The guess made on arrival is kept in issue 14's ``ticket_triage``."""
Index("ix_tickets_conversation", tickets.c.conversation_key, tickets.c.status)

ticket_messages = Table(
    "ticket_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(16), ForeignKey("tickets.id"), nullable=False),
    Column("direction", String(4), nullable=False),  # in | out
    Column("body", Text, nullable=False),  # what the agent reads (quotes, signatures cut)
    Column("original", Text, nullable=False),  # as sent, kept for the record
    Column("at", UTCDateTime, nullable=False),
    Column("message_id", String(255), nullable=True),  # the e-mail's Message-ID
    Column("refs", Text, nullable=False),  # canonical JSON: where an answer to it goes
)
"""Every message of a ticket's conversation, in and out, oldest first."""
Index("ix_ticket_messages_ticket", ticket_messages.c.ticket_id, ticket_messages.c.id)
Index("ix_ticket_messages_message_id", ticket_messages.c.message_id)

intake_keys = Table(
    "intake_keys",
    metadata,
    Column("key", String(255), primary_key=True),  # "mail:<Message-ID>", the event id
    Column("ticket_id", String(16), nullable=True),
    Column("outcome", String(16), nullable=False),  # created|appended|refused|ignored
    Column("at", UTCDateTime, nullable=False),
)
"""What the intake has taken: a retried delivery or a retaken e-mail makes nothing new."""

mail_checkpoints = Table(
    "mail_checkpoints",
    metadata,
    Column("folder", String(255), primary_key=True),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("last_uid", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
"""How far the poller has taken the support folder; written with the ticket it made."""
