"""The ticket queue: list, open one, correct its branch, reply, resolve with an outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import BranchCorrectionRecord, Ticket, TicketReply
from supportdesk.rules.tree import TICKET_OUTCOMES, Branch
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, InvalidInput, NotFound
from supportdesk.service.ops import delivery
from supportdesk.service.ops.common import Principal
from supportdesk.service.ops.replies import RECORDED, checked_reply, record_reply
from supportdesk.service.ops.ticket_triage import classify_rows, correction_view
from supportdesk.service.ops.views import ticket_view
from supportdesk.service.store import intake as intake_store
from supportdesk.service.store import tickets
from supportdesk.service.store.engine import reading

BRANCH_CODES = tuple(b.value for b in Branch)


def reply_view(row: Mapping[Any, Any]) -> TicketReply:
    return TicketReply(
        id=int(row["id"]),
        ticket_id=row["ticket_id"],
        author=row["author"],
        body=row["body"],
        created_at=row["created_at"],
        delivery_state=row["delivery_state"],
        delivery_detail=row["delivery_detail"],
    )


async def _views(
    ctx: ServiceContext, conn: AsyncConnection, rows: Sequence[Mapping[Any, Any]]
) -> list[Ticket]:
    """Rows with their users' names, whether a request on them waits for a lead, their
    branch (guessed and corrected) and their replies."""
    ids = [r["id"] for r in rows]
    people = await ctx.provider.users(conn, {r["user_id"] for r in rows if r["user_id"]})
    waiting = await tickets.awaiting_lead(conn, ids, ctx.clock.now())
    corrected = await tickets.latest_corrections(conn, ids)
    replies = await tickets.replies_of(conn, ids)
    triaged = await classify_rows(conn, rows)
    counts = await intake_store.message_counts(conn, ids)
    return [
        ticket_view(
            r,
            people,
            waiting,
            triage=triaged.get(r["id"]),
            correction=correction_view(corrected.get(r["id"])),
            replies=[reply_view(x) for x in replies.get(r["id"], [])],
            counts=counts,
        )
        for r in rows
    ]


async def list_tickets(
    ctx: ServiceContext, *, status: str, user_id: str | None, limit: int
) -> list[Ticket]:
    """Oldest first: the queue is worked from the longest wait."""
    async with reading(ctx.engine) as conn:
        rows = await tickets.listed(conn, status=status, user_id=user_id, limit=limit)
        return await _views(ctx, conn, rows)


async def _load(ctx: ServiceContext, conn: AsyncConnection, ticket_id: str) -> Ticket:
    row = await tickets.by_id(conn, ticket_id)
    if row is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    return (await _views(ctx, conn, [row]))[0]


async def _row(conn: AsyncConnection, ticket_id: str) -> Mapping[Any, Any]:
    row = await tickets.by_id(conn, ticket_id)
    if row is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    return row


async def get_ticket(ctx: ServiceContext, ticket_id: str) -> Ticket:
    async with reading(ctx.engine) as conn:
        return await _load(ctx, conn, ticket_id)


def shown_branch(ticket: Ticket) -> str:
    """The branch the desk shows: the agent's correction, else the guess (or "unsure")."""
    if ticket.correction is not None:
        return ticket.correction.branch
    return ticket.triage.branch if ticket.triage is not None else "unsure"


async def resolve_ticket(
    ctx: ServiceContext,
    who: Principal,
    ticket_id: str,
    *,
    outcome: str,
    note: str,
    request_id: str,
    reply: str | None = None,
    reply_key: str | None = None,
) -> Ticket:
    """Close the ticket with one of the tree's outcomes and a note of what was done, and
    with the reply to the user when one is given (checked first: a code, seed or full
    number refuses the whole request and nothing changes)."""
    if outcome not in TICKET_OUTCOMES:
        raise InvalidInput(
            f"unknown outcome {outcome!r}; use one of: {', '.join(TICKET_OUTCOMES)}",
            field="outcome",
        )
    if not note.strip():
        raise InvalidInput("say in a note what was done", field="note")
    text = checked_reply(reply) if reply is not None and reply.strip() else None
    if text is not None and await delivery.reply_through_channel(
        ctx,
        who,
        ticket_id,
        body=text,
        idempotency_key=reply_key,
        request_id=request_id,
        resolve=(outcome, note.strip()),
    ):  # a ticket that came by mail or messenger: resolved only once the reply went out
        return await get_ticket(ctx, ticket_id)
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        row = await _row(conn, ticket_id)
        if row["status"] != "open":
            raise Conflict(f"ticket {ticket_id} was already resolved by {row['resolved_by']}")
        await tickets.resolve(
            conn, ticket_id, outcome=outcome, note=note.strip(), by=who.username, at=now
        )
        entry = audit.ticket_resolved(
            who.actor,
            ticket_id=ticket_id,
            user_id=row["user_id"],
            outcome=outcome,
            note=note.strip(),
        )
        await record(conn, entry, at=now, request_id=request_id)
        if text is not None:
            await record_reply(
                conn,
                actor=who.actor,
                ticket_id=ticket_id,
                user_id=row["user_id"],
                body=text,
                at=now,
                idempotency_key=reply_key,
                delivery_state=RECORDED,
                request_id=request_id,
            )
    return await get_ticket(ctx, ticket_id)


async def add_reply(
    ctx: ServiceContext,
    who: Principal,
    ticket_id: str,
    *,
    body: str,
    idempotency_key: str | None,
    request_id: str,
) -> Ticket:
    """A reply along the way, the ticket left as it is; the same key twice stores one."""
    text = checked_reply(body, field="body")
    if await delivery.reply_through_channel(
        ctx, who, ticket_id, body=text, idempotency_key=idempotency_key, request_id=request_id
    ):  # sent the way the ticket came (issue 15)
        return await get_ticket(ctx, ticket_id)
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        row = await _row(conn, ticket_id)
        await record_reply(
            conn,
            actor=who.actor,
            ticket_id=ticket_id,
            user_id=row["user_id"],
            body=text,
            at=now,
            idempotency_key=idempotency_key,
            delivery_state=RECORDED,
            request_id=request_id,
        )
    return await get_ticket(ctx, ticket_id)


async def correct_branch(
    ctx: ServiceContext, who: Principal, ticket_id: str, *, branch: str, request_id: str
) -> Ticket:
    """The agent says which branch the ticket belongs to; kept for the lead and as a
    labelled example, audited, never sent anywhere. Choosing the branch already shown
    changes nothing."""
    if branch not in BRANCH_CODES:
        raise InvalidInput(
            f"unknown branch {branch!r}; use one of: {', '.join(BRANCH_CODES)}", field="branch"
        )
    before = await get_ticket(ctx, ticket_id)  # the guess is made outside the transaction
    guessed = shown_branch(before)
    if guessed == branch:
        return before
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        row = await _row(conn, ticket_id)
        await tickets.add_correction(
            conn, ticket_id, guessed=guessed, branch=branch, agent=who.username, at=now
        )
        entry = audit.ticket_branch_corrected(
            who.actor, ticket_id=ticket_id, user_id=row["user_id"], guessed=guessed, branch=branch
        )
        await record(conn, entry, at=now, request_id=request_id)
    return await get_ticket(ctx, ticket_id)


async def list_corrections(
    ctx: ServiceContext, *, since: datetime | None, limit: int
) -> list[BranchCorrectionRecord]:
    """Every correction with its ticket's words, oldest first: for the lead's review and
    as labelled examples for the next model (the desk never sends them anywhere)."""
    async with reading(ctx.engine) as conn:
        rows = await tickets.corrections(conn, since=since, limit=limit)
    return [
        BranchCorrectionRecord(
            ticket_id=r["ticket_id"],
            subject=r["subject"],
            text=r["text"],
            guessed=r["guessed"],
            branch=r["branch"],
            by=r["agent"],
            at=r["at"],
        )
        for r in rows
    ]
