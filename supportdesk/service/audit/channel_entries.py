"""Audit entries of the channels: tickets that arrive by mail or messenger, replies sent back.

Kept beside `entries` (same `Entry`, same `record`) so the intake's actions are read in
one place; nobody else builds these.
"""

from __future__ import annotations

from typing import Any

from supportdesk.service.audit.chain import Actor
from supportdesk.service.audit.entries import Entry

INTAKE = Actor(name="intake", role="system")
"""Who writes what arrived by itself: no agent made these tickets."""
DELIVERY = Actor(name="delivery", role="system")
"""Who writes a retried reply's outcome when no agent is waiting for it."""


def ticket_received(
    *,
    ticket_id: str,
    user_id: str | None,
    channel: str,
    sender: str,
    triage: str | None,
    confidence: float | None,
    key: str,
) -> Entry:
    return Entry(
        INTAKE,
        "ticket.received",
        "success",
        target_user=user_id,
        ticket_id=ticket_id,
        detail={
            "channel": channel,
            "sender": sender,
            "unknown_user": user_id is None,
            "triage": triage,
            "confidence": None if confidence is None else round(confidence, 3),
            "key": key,
        },
    )


def message_appended(
    *,
    ticket_id: str,
    user_id: str | None,
    channel: str,
    sender: str,
    key: str,
    reopened: bool = False,
) -> Entry:
    """The user wrote again; ``reopened`` when their answer came after the resolution."""
    return Entry(
        INTAKE,
        "ticket.message_appended",
        "success",
        target_user=user_id,
        ticket_id=ticket_id,
        detail={"channel": channel, "sender": sender, "key": key, "reopened": reopened},
    )


def intake_refused(*, channel: str, sender: str | None, reason: str, key: str) -> Entry:
    """An e-mail that made no ticket (oversize, malformed, flood): the poller moved on."""
    return Entry(
        INTAKE,
        "ticket.intake_refused",
        "refused",
        reason=reason,
        detail={"channel": channel, "sender": sender, "key": key},
    )


def reply_sent(
    actor: Actor, *, ticket_id: str, user_id: str | None, reply_id: int, **detail: Any
) -> Entry:
    return Entry(
        actor,
        "ticket.reply_sent",
        "success",
        target_user=user_id,
        ticket_id=ticket_id,
        detail={"reply_id": reply_id, **detail},
    )


def reply_failed(
    actor: Actor,
    *,
    ticket_id: str,
    user_id: str | None,
    reply_id: int | None,
    reason: str,
    **detail: Any,
) -> Entry:
    return Entry(
        actor,
        "ticket.reply_failed",
        "failed",
        target_user=user_id,
        ticket_id=ticket_id,
        reason=reason,
        detail={"reply_id": reply_id, **detail},
    )
