"""Tickets' triage, the agents' branch corrections and the replies (issue 14).

Part of `schema` (which imports this module at its end), kept apart so both stay short.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from supportdesk.service.store.schema import UTCDateTime, metadata

# -- tickets: triage, branch corrections and replies (issue 14) -----------------------------

ticket_triage = Table(
    "ticket_triage",
    metadata,
    Column("ticket_id", String(16), ForeignKey("tickets.id"), primary_key=True),
    Column("branch", String(32), nullable=True),  # the best guess; None: no words to go on
    Column("confidence", Float, nullable=False),
    Column("runner_up", String(32), nullable=True),
    Column("runner_up_confidence", Float, nullable=True),
    Column("source", String(16), nullable=False),  # model | keywords | empty
    Column("triaged_at", UTCDateTime, nullable=False),
)
"""The classifier's guess made when a ticket arrived. A ticket without a row here (the
demo seed, tickets from before triage) is classified when it is read, not stored."""

ticket_branch_corrections = Table(
    "ticket_branch_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(16), ForeignKey("tickets.id"), nullable=False),
    Column("guessed", String(32), nullable=False),  # the branch code shown, or "unsure"
    Column("branch", String(32), nullable=False),  # the agent's choice
    Column("agent", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
"""An agent's "this ticket belongs to another branch": for the lead, and as training
data for the next model. Never sent anywhere; the latest one per ticket counts."""
Index("ix_ticket_branch_corrections_ticket", ticket_branch_corrections.c.ticket_id)

ticket_replies = Table(
    "ticket_replies",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("ticket_id", String(16), ForeignKey("tickets.id"), nullable=False),
    Column("author", String(64), nullable=False),  # the agent's username
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # recorded: nowhere to send (demo/seeded tickets); queued | sent | failed once a
    # channel carries replies back to the user.
    Column("delivery_state", String(16), nullable=False),
    Column("delivery_detail", Text, nullable=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
)
"""What the agent wrote to the user, checked by rules.reply_check before it was stored."""
Index("ix_ticket_replies_ticket", ticket_replies.c.ticket_id, ticket_replies.c.created_at)

# -- end of issue 14's block ----------------------------------------------------------------
