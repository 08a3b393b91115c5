"""The one path every arrival takes: keyed, matched, throttled, written with its audit."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import TicketMessage
from supportdesk.service.audit import channel_entries as audit
from supportdesk.service.audit import record
from supportdesk.service.channels.mail.models import MailCheckpoint
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import NotFound, RateLimited
from supportdesk.service.ops.ticket_triage import store_arrival_triage, triage_texts
from supportdesk.service.store import intake as store
from supportdesk.service.store import ratelimit, tickets
from supportdesk.service.store.engine import reading

if TYPE_CHECKING:  # the classifier package loads with the first arrival, not at start-up
    from supportdesk.triage import Triage

Outcome = Literal["created", "appended", "duplicate", "refused", "ignored"]
Channel = Literal["email", "messenger"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Taken:
    """What the intake did with one arrival; ``message`` says it in words."""

    outcome: Outcome
    ticket_id: str | None
    message: str


@dataclass(frozen=True)
class Arrival:
    """One arrival, whichever channel it came by."""

    key: str
    channel: Channel
    sender: str
    sender_name: str | None
    user_id_hint: str | None
    email: str | None
    subject: str
    body: str
    original: str
    at: datetime | None
    """When it was written (the mail's Date, the event's time); else when it arrived."""
    message_id: str | None = None
    refs: Mapping[str, Any] = field(default_factory=dict)
    conversation_key: str | None = None
    thread_candidates: tuple[str, ...] = ()
    """Tickets named by the mail's thread (our reply's Message-ID, the subject's tag)."""
    thread_message_ids: tuple[str, ...] = ()


# -- reading a conversation ---------------------------------------------------------------------


async def ticket_messages(ctx: ServiceContext, ticket_id: str) -> list[TicketMessage]:
    """A ticket's conversation, oldest first (empty for a seeded ticket)."""
    async with reading(ctx.engine) as conn:
        if await tickets.by_id(conn, ticket_id) is None:
            raise NotFound(f"no ticket {ticket_id!r}")
        rows = await store.messages(conn, ticket_id)
    return [
        TicketMessage(
            id=r["id"], direction=r["direction"], body=r["body"], original=r["original"], at=r["at"]
        )
        for r in rows
    ]


# -- the one path every arrival takes -----------------------------------------------------------


async def take(
    ctx: ServiceContext, arrival: Arrival, *, checkpoint: MailCheckpoint | None
) -> Taken:
    """Take one arrival: a look first (no lock) to skip a duplicate, to find the sender
    among the provider's users and to triage only a new ticket, then one write
    transaction that decides again and makes it all.

    The user is matched before the write: a provider in front of another server asks it
    over the network (and may note a user seen for the first time), which must not hold
    the store's write lock.
    """
    async with reading(ctx.engine) as conn:
        seen = await store.key_taken(conn, arrival.key)
        joins = seen is None and await _thread_ticket(conn, arrival, None) is not None
        user_id = None if seen is not None else await _match_user(ctx, conn, arrival)
    if seen is not None:
        await _advance(ctx, checkpoint)
        return Taken("duplicate", seen["ticket_id"], "already taken")
    guess = None if joins else await _triage(ctx, arrival)
    try:
        return await _write(ctx, arrival, checkpoint, guess, user_id)
    except IntegrityError:
        # Another worker took the same key first (PostgreSQL): theirs stands.
        async with reading(ctx.engine) as conn:
            seen = await store.key_taken(conn, arrival.key)
        if seen is None:
            raise
        return Taken("duplicate", seen["ticket_id"], "already taken")


async def _write(
    ctx: ServiceContext,
    arrival: Arrival,
    checkpoint: MailCheckpoint | None,
    guess: Triage | None,
    user_id: str | None,
) -> Taken:
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        seen = await store.key_taken(conn, arrival.key)
        if seen is not None:
            await _save_checkpoint(conn, checkpoint, now)
            return Taken("duplicate", seen["ticket_id"], "already taken")
        throttled = await ratelimit.take(
            conn, f"intake:{arrival.sender.lower()}"[:128], now, _limits(ctx)
        )
        if throttled is not None:
            wait, limit = throttled
            if checkpoint is None:
                raise RateLimited(f"{limit.description}: try again in {wait} s", retry_after_s=wait)
            reason = f"{limit.description}: the message made no ticket"
            await _refusal(conn, arrival.key, arrival.sender, reason, checkpoint, now, "refused")
            return Taken("refused", None, reason)
        thread = await _thread_ticket(conn, arrival, user_id)
        if thread is not None:
            reopened = await store.reopen(conn, thread)
            await _add_inbound(conn, thread, arrival, now)
            await store.append_text(conn, thread, _follow_up(arrival, now))
            await store.take_key(conn, arrival.key, ticket_id=thread, outcome="appended", at=now)
            entry = audit.message_appended(
                ticket_id=thread,
                user_id=user_id,
                channel=arrival.channel,
                sender=arrival.sender,
                key=arrival.key,
                reopened=reopened,
            )
            await record(conn, entry, at=now)
            await _save_checkpoint(conn, checkpoint, now)
            return Taken("appended", thread, f"added to {thread}")
        ticket_id = await store.next_ticket_id(conn)
        await store.insert_ticket(
            conn,
            id=ticket_id,
            user_id=user_id,
            channel=arrival.channel,
            subject=arrival.subject[:200],
            text=arrival.body,
            created_at=now,
            sender=arrival.sender[:256],
            sender_name=(arrival.sender_name or None) and arrival.sender_name[:128],
            conversation_key=arrival.conversation_key,
        )
        if guess is not None:
            await store_arrival_triage(conn, ticket_id, guess, at=now)
        await _add_inbound(conn, ticket_id, arrival, now)
        await store.take_key(conn, arrival.key, ticket_id=ticket_id, outcome="created", at=now)
        entry = audit.ticket_received(
            ticket_id=ticket_id,
            user_id=user_id,
            channel=arrival.channel,
            sender=arrival.sender,
            triage=guess.code if guess else None,
            confidence=guess.confidence if guess else None,
            key=arrival.key,
        )
        await record(conn, entry, at=now)
        await _save_checkpoint(conn, checkpoint, now)
        who = "an unknown user" if user_id is None else user_id
        return Taken("created", ticket_id, f"{ticket_id} opened for {who}")


async def _add_inbound(
    conn: AsyncConnection, ticket_id: str, arrival: Arrival, now: datetime
) -> None:
    await store.add_message(
        conn,
        ticket_id,
        direction="in",
        body=arrival.body,
        original=arrival.original,
        at=arrival.at if arrival.at is not None and arrival.at.tzinfo is not None else now,
        message_id=arrival.message_id,
        refs=arrival.refs,
    )


async def _thread_ticket(
    conn: AsyncConnection, arrival: Arrival, user_id: str | None
) -> str | None:
    """The ticket this arrival continues, if its sender is that ticket's sender.

    A messenger conversation continues its open ticket only; an e-mail answering a
    ticket's thread continues it even when resolved (the intake reopens it): the user
    is answering the agent's reply.
    """
    if arrival.conversation_key is not None:
        return await store.open_ticket_of_conversation(conn, arrival.conversation_key)
    candidates = list(arrival.thread_candidates)
    by_ids = await store.ticket_of_message_ids(conn, arrival.thread_message_ids)
    if by_ids is not None:
        candidates.insert(0, by_ids)
    for ticket_id in candidates:
        row = await tickets.by_id(conn, ticket_id)
        if row is None:
            continue
        same_sender = (row["sender"] or "").lower() == arrival.sender.lower()
        same_user = user_id is not None and row["user_id"] == user_id
        if same_sender or same_user:
            return ticket_id
    return None


async def _match_user(ctx: ServiceContext, conn: AsyncConnection, arrival: Arrival) -> str | None:
    """The desk's user: by the messenger's user id, else by exactly one e-mail match."""
    if arrival.user_id_hint:
        found = await ctx.provider.users(conn, [arrival.user_id_hint])
        if arrival.user_id_hint in found:
            return arrival.user_id_hint
    if arrival.email and "@" in arrival.email:
        wanted = arrival.email.strip().lower()
        hits = await ctx.provider.find_users(conn, wanted, 20)
        exact = {hit.user.id for hit in hits if hit.user.email.lower() == wanted}
        if len(exact) == 1:
            return exact.pop()
    return None


def _limits(ctx: ServiceContext) -> list[ratelimit.Limit]:
    settings = ctx.settings
    return [
        ratelimit.Limit(
            settings.intake_per_sender_10min,
            timedelta(minutes=10),
            f"more than {settings.intake_per_sender_10min} messages from one sender in 10 minutes",
        ),
        ratelimit.Limit(
            settings.intake_per_sender_day,
            timedelta(days=1),
            f"more than {settings.intake_per_sender_day} messages from one sender in a day",
        ),
    ]


async def _triage(ctx: ServiceContext, arrival: Arrival) -> Triage | None:
    """The classifier's answer, off the event loop; None when triage is off or fails."""
    if not ctx.settings.intake_triage:
        return None
    from supportdesk.triage import ticket_text

    try:
        [answer] = await triage_texts([ticket_text(arrival.subject, arrival.body)])
    except Exception:  # a ticket without a guess beats no ticket
        log.exception("triage failed for an arriving ticket")
        return None
    return answer


# -- refusals and bookkeeping -------------------------------------------------------------------


async def refuse(
    ctx: ServiceContext,
    key: str,
    *,
    sender: str | None,
    reason: str,
    checkpoint: MailCheckpoint,
    outcome: Outcome,
) -> Taken:
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        seen = await store.key_taken(conn, key)
        if seen is not None:
            await _save_checkpoint(conn, checkpoint, now)
            return Taken("duplicate", seen["ticket_id"], "already taken")
        await _refusal(conn, key, sender, reason, checkpoint, now, outcome)
    return Taken(outcome, None, reason)


async def _refusal(
    conn: AsyncConnection,
    key: str,
    sender: str | None,
    reason: str,
    checkpoint: MailCheckpoint | None,
    now: datetime,
    outcome: str,
) -> None:
    await store.take_key(conn, key, ticket_id=None, outcome=outcome, at=now)
    await record(
        conn, audit.intake_refused(channel="email", sender=sender, reason=reason, key=key), at=now
    )
    await _save_checkpoint(conn, checkpoint, now)


async def note_key(ctx: ServiceContext, key: str, what: str) -> Taken:
    now = ctx.clock.now()
    try:
        async with ctx.engine.begin() as conn:
            if await store.key_taken(conn, key) is not None:
                return Taken("duplicate", None, "already taken")
            await store.take_key(conn, key, ticket_id=None, outcome="ignored", at=now)
    except IntegrityError:
        return Taken("duplicate", None, "already taken")
    return Taken("ignored", None, f"{what}: the first message will make the ticket")


async def _advance(ctx: ServiceContext, checkpoint: MailCheckpoint | None) -> None:
    if checkpoint is None:
        return
    async with ctx.engine.begin() as conn:
        await _save_checkpoint(conn, checkpoint, ctx.clock.now())


async def _save_checkpoint(
    conn: AsyncConnection, checkpoint: MailCheckpoint | None, now: datetime
) -> None:
    if checkpoint is not None:
        await store.save_checkpoint(
            conn,
            checkpoint.folder,
            uidvalidity=checkpoint.uidvalidity,
            last_uid=checkpoint.last_uid,
            at=now,
        )


def _follow_up(arrival: Arrival, now: datetime) -> str:
    """How a later message reads at the end of the ticket's text."""
    who = arrival.sender_name or arrival.sender
    return f"\n\n— {who} wrote again ({now:%d %b %H:%M} UTC):\n{arrival.body}"


def first_line(text: str, limit: int = 80) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
