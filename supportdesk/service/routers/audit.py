"""The audit log, read by team leads: never the whole table at once.

Pages are keyset-paged on `seq` (the primary key), newest first, so the
thousandth page costs what the first does. Export and verification walk the
log oldest first in short batches, each in its own short read, so memory stays
flat and writers are never held up for long. The functions below the routes
are also what `supportdesk audit` runs directly on the embedded store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.api.audit import (
    FIRST_SEQ_HEADER,
    HEAD_SEQ_HEADER,
    MEDIA_TYPES,
    AgentDayCount,
    AuditCounts,
    AuditFilter,
    ChainBreakOut,
    ExportFormat,
    ReviewQueue,
    VerifyStep,
    render,
)
from supportdesk.api.models import AuditEntry, AuditPage
from supportdesk.rules.audit_chain import GENESIS_HASH, ChainBreak, ChainWalker, entry_hash
from supportdesk.service.audit import append_audit, row_to_chain_fields
from supportdesk.service.audit_review import review_queue
from supportdesk.service.db.schema import as_utc, audit_head, audit_log
from supportdesk.service.deps import Ctx, CurrentLead, RequestId
from supportdesk.service.errors import InvalidInput

router = APIRouter(prefix="/v1/audit", tags=["audit"])

BATCH = 2000
"""Rows per read while exporting or verifying: big enough to be quick, small enough to
hold no lock for long."""

MAX_CHART_DAYS = 92
"""A quarter: the longest range the chart and the review queue take at once."""

SWAP_WINDOW = 1000
"""How far either side an edited entry is checked for being another entry moved here."""


# -- filters ---------------------------------------------------------------------------------


def audit_filters(
    agent: Annotated[str | None, Query(max_length=64, description="actor, exact")] = None,
    user: Annotated[str | None, Query(max_length=64, description="target user id")] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=48,
            description="exact ('mfa.reset'), a glob ('mfa.*'), or without a dot any action "
            "containing it ('reset')",
        ),
    ] = None,
    outcome: Annotated[str | None, Query(max_length=24)] = None,
    ticket: Annotated[str | None, Query(max_length=16)] = None,
    since: Annotated[datetime | None, Query(description="from this time on")] = None,
    until: Annotated[datetime | None, Query(description="before this time")] = None,
) -> AuditFilter:
    """The filters every audit read shares; times without a zone are read as UTC."""
    since = as_utc(since) if since is not None else None
    until = as_utc(until) if until is not None else None
    if since is not None and until is not None and until <= since:
        raise InvalidInput("the time range ends before it starts", field="until")
    return AuditFilter(
        agent=agent or None,
        user=user or None,
        action=action or None,
        outcome=outcome or None,
        ticket=ticket or None,
        since=since,
        until=until,
    )


Filters = Annotated[AuditFilter, Depends(audit_filters)]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def action_condition(wanted: str) -> ColumnElement[bool]:
    """Exact, a `*` glob, or (with no dot) a substring: "reset" finds every kind of reset."""
    if "*" in wanted:
        return audit_log.c.action.like(_like_escape(wanted).replace("*", "%"), escape="\\")
    if "." not in wanted:
        return audit_log.c.action.like(f"%{_like_escape(wanted)}%", escape="\\")
    return audit_log.c.action == wanted


def conditions(filters: AuditFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    exact = {
        audit_log.c.actor: filters.agent,
        audit_log.c.target_user: filters.user,
        audit_log.c.outcome: filters.outcome,
        audit_log.c.ticket_id: filters.ticket,
    }
    for column, wanted in exact.items():
        if wanted:
            found.append(column == wanted)
    if filters.action:
        found.append(action_condition(filters.action))
    if filters.since is not None:
        found.append(audit_log.c.at >= filters.since)
    if filters.until is not None:
        found.append(audit_log.c.at < filters.until)
    return found


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone '{name}'", field="zone") from exc


# -- routes ------------------------------------------------------------------------------------


@router.get("", response_model=AuditPage)
async def read_audit(
    _lead: CurrentLead,
    ctx: Ctx,
    filters: Filters,
    before: Annotated[
        int | None, Query(ge=1, description="keyset cursor: entries below this seq")
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, description="only entries above this seq (live updates)")
    ] = None,
    seqs: Annotated[
        str | None,
        Query(max_length=2400, pattern=r"^\d+(,\d+)*$", description="these entries only"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Newest first; `next_cursor` fetches the following (older) page."""
    stmt = select(audit_log).where(*conditions(filters))
    if before is not None:
        stmt = stmt.where(audit_log.c.seq < before)
    if after is not None:
        stmt = stmt.where(audit_log.c.seq > after)
    if seqs is not None:
        wanted = sorted({int(s) for s in seqs.split(",")})
        if len(wanted) > 200:
            raise InvalidInput("ask for at most 200 entries by seq", field="seqs")
        stmt = stmt.where(audit_log.c.seq.in_(wanted))
    stmt = stmt.order_by(audit_log.c.seq.desc()).limit(limit + 1)
    async with ctx.engine.connect() as conn:
        rows = [AuditEntry.model_validate(dict(r._mapping)) for r in await conn.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(entries=rows, next_cursor=rows[-1].seq if more and rows else None)


@router.get("/export", response_class=StreamingResponse)
async def export_audit(
    lead: CurrentLead,
    ctx: Ctx,
    rid: RequestId,
    filters: Filters,
    fmt: Annotated[ExportFormat, Query(alias="format")] = "csv",
    after: Annotated[int, Query(ge=0, description="continue after this seq")] = 0,
    max_rows: Annotated[
        int | None, Query(ge=1, description="stop after this many (a chunk)")
    ] = None,
    header: Annotated[bool, Query(description="CSV: start with the column names")] = True,
) -> StreamingResponse:
    """Matching entries oldest first, streamed in batches: memory stays flat at any size.

    Exporting is a sensitive read, so the start of an export (not each
    chunk of it) is itself recorded in the log.
    """
    if after == 0:
        async with ctx.engine.begin() as conn:
            await append_audit(
                conn,
                at=ctx.clock.now(),
                actor=lead.actor,
                action="audit.export",
                outcome="success",
                detail={"format": fmt, "filters": filters.params()},
                request_id=rid,
            )
    first_seq, head_seq = await export_bounds(ctx.engine, filters)

    async def body() -> AsyncIterator[bytes]:
        if fmt == "csv" and header:
            yield render("csv", [], header=True).encode("utf-8")
        async for rows in iter_batches(ctx.engine, filters, after=after, limit=max_rows):
            yield render(fmt, rows, header=False).encode("utf-8")

    return StreamingResponse(
        body(),
        media_type=MEDIA_TYPES[fmt],
        headers={
            FIRST_SEQ_HEADER: str(first_seq),
            HEAD_SEQ_HEADER: str(head_seq),
            "Content-Disposition": f'attachment; filename="audit.{fmt}"',
        },
    )


@router.get("/verify", response_model=VerifyStep)
async def verify_audit(
    _lead: CurrentLead,
    ctx: Ctx,
    after_seq: Annotated[int, Query(ge=0, description="resume after this entry")] = 0,
    after_hash: Annotated[
        str | None, Query(pattern=r"^[0-9a-f]{64}$", description="the hash of that entry")
    ] = None,
    max_entries: Annotated[int, Query(ge=1, le=500_000)] = 50_000,
) -> VerifyStep:
    """Check the chain a stretch at a time, so the desk can show progress as it goes."""
    if after_seq > 0 and after_hash is None:
        raise InvalidInput(
            "resuming needs the hash of the entry to resume after", field="after_hash"
        )
    return await verify_stretch(ctx.engine, after_seq, after_hash, max_entries=max_entries)


@router.get("/counts", response_model=AuditCounts)
async def audit_counts(
    _lead: CurrentLead,
    ctx: Ctx,
    filters: Filters,
    zone: Annotated[str, Query(max_length=64, description="IANA zone the days are in")] = "UTC",
) -> AuditCounts:
    """Actions per agent per day over the range (default: the last 14 days)."""
    return await agent_day_counts(ctx.engine, filters, zone, ctx.clock.now())


@router.get("/review", response_model=ReviewQueue)
async def audit_review(
    _lead: CurrentLead,
    ctx: Ctx,
    since: datetime | None = None,
    until: datetime | None = None,
    zone: Annotated[str, Query(max_length=64, description="IANA zone of working hours")] = "UTC",
) -> ReviewQueue:
    """What deserves a second look over the range (default: the last 30 days)."""
    tz = _zone(zone)
    until = as_utc(until) if until is not None else ctx.clock.now()
    since = as_utc(since) if since is not None else until - timedelta(days=30)
    if until <= since:
        raise InvalidInput("the time range ends before it starts", field="until")
    if until - since > timedelta(days=MAX_CHART_DAYS):
        raise InvalidInput(
            f"review at most {MAX_CHART_DAYS} days at once: narrow the range", field="since"
        )
    items = await review_queue(ctx.engine, since=since, until=until, zone=tz)
    return ReviewQueue(since=since, until=until, zone=zone, items=items)


# -- reading in batches ---------------------------------------------------------------------------


async def iter_batches(
    engine: AsyncEngine,
    filters: AuditFilter,
    *,
    after: int = 0,
    limit: int | None = None,
    batch: int = BATCH,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Matching rows oldest first, a keyset batch at a time (never the whole table)."""
    cursor = after
    remaining = limit
    where = conditions(filters)
    while remaining is None or remaining > 0:
        take = batch if remaining is None else min(batch, remaining)
        stmt = (
            select(audit_log)
            .where(*where, audit_log.c.seq > cursor)
            .order_by(audit_log.c.seq)
            .limit(take)
        )
        async with engine.connect() as conn:
            rows = [dict(r) for r in (await conn.execute(stmt)).mappings()]
        if not rows:
            return
        yield rows
        cursor = int(rows[-1]["seq"])
        if remaining is not None:
            remaining -= len(rows)
        if len(rows) < take:
            return


async def export_bounds(engine: AsyncEngine, filters: AuditFilter) -> tuple[int, int]:
    """Where an export starts and the log's head: progress is measured between them."""
    async with engine.connect() as conn:
        head = (
            await conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1))
        ).scalar_one_or_none()
        first: int | None = 1
        if filters.since is not None:
            first = (
                await conn.execute(
                    select(audit_log.c.seq)
                    .where(audit_log.c.at >= filters.since)
                    .order_by(audit_log.c.at, audit_log.c.seq)
                    .limit(1)
                )
            ).scalar_one_or_none()
    head_seq = int(head or 0)
    return (int(first) if first is not None else head_seq + 1), head_seq


# -- verification ----------------------------------------------------------------------------------


class ResumedWalker(ChainWalker):
    """A ChainWalker that picks up after an entry an earlier stretch already checked.

    Verification runs in stretches so the desk can draw progress; each stretch
    starts from the (seq, hash) where the last one stopped.
    """

    def __init__(self, after_seq: int = 0, after_hash: str | None = None) -> None:
        super().__init__(after_seq, after_hash or GENESIS_HASH)
        self.last_seq = after_seq
        self.last_hash = after_hash or GENESIS_HASH

    def feed(self, entry: Mapping[str, Any]) -> bool:
        if not super().feed(entry):
            if self.first_break is not None and self.first_break.kind == "edited":
                self.first_break = moved_here(entry) or self.first_break
            return False
        self.last_seq = int(entry["seq"])
        self.last_hash = str(entry["hash"])
        return True


def moved_here(entry: Mapping[str, Any]) -> ChainBreak | None:
    """An "edited" entry that is really another entry moved (two rows swapped, say).

    Its fields still hash to its stored hash under the seq it was written with,
    so trying the nearby seqs finds where it came from.
    """
    seq = int(entry["seq"])
    fields = dict(entry)
    for offset in range(1, SWAP_WINDOW + 1):
        for other in (seq + offset, seq - offset):
            if other < 1:
                continue
            fields["seq"] = other
            if entry_hash(fields) == entry["hash"]:
                return ChainBreak(
                    seq,
                    "reordered",
                    f"it holds what was written as entry {other}: entries were swapped or moved",
                )
    return None


async def _read_head(engine: AsyncEngine) -> tuple[int, str]:
    async with engine.connect() as conn:
        head = (
            await conn.execute(
                select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
            )
        ).first()
    return (int(head.seq), str(head.hash)) if head is not None else (0, GENESIS_HASH)


async def verify_stretch(
    engine: AsyncEngine,
    after_seq: int = 0,
    after_hash: str | None = None,
    *,
    max_entries: int = 50_000,
    batch: int = BATCH,
) -> VerifyStep:
    """Walk up to `max_entries` after the given entry; at the end, hold the tail to the head.

    The head row records the newest entry's seq and hash, so deleting the
    newest entries (which no later entry would point to) is caught too.
    """
    head_seq, head_hash = await _read_head(engine)
    walker = ResumedWalker(after_seq, after_hash)
    seen = 0
    exhausted = False
    while seen < max_entries and walker.first_break is None:
        take = min(batch, max_entries - seen)
        stmt = (
            select(audit_log)
            .where(audit_log.c.seq > walker.last_seq)
            .order_by(audit_log.c.seq)
            .limit(take)
        )
        async with engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        for row in rows:
            if not walker.feed(row_to_chain_fields(cast("Mapping[str, Any]", row))):
                break
        seen += len(rows)
        if len(rows) < take:
            exhausted = True
            break
    found = walker.first_break
    if found is None and exhausted:
        found = _tail_break(walker.last_seq, walker.last_hash, head_seq, head_hash)
    done = exhausted or found is not None
    return VerifyStep(
        checked=walker.checked,
        last_seq=walker.last_seq,
        last_hash=walker.last_hash,
        head_seq=max(head_seq, walker.last_seq),
        done=done,
        first_break=ChainBreakOut(seq=found.seq, kind=found.kind, explanation=found.explanation)
        if found is not None
        else None,
        summary=_summary(found, done, walker.last_seq, head_seq),
    )


def _tail_break(last_seq: int, last_hash: str, head_seq: int, head_hash: str) -> ChainBreak | None:
    if last_seq < head_seq:
        return ChainBreak(
            last_seq + 1,
            "missing",
            f"entries {last_seq + 1}..{head_seq} are not in the log "
            f"(the head records entry {head_seq})",
        )
    if last_seq == head_seq and last_hash != head_hash:
        return ChainBreak(
            last_seq, "edited", "it is not the entry the head recorded: it was rewritten"
        )
    return None


def _summary(found: ChainBreak | None, done: bool, last_seq: int, head_seq: int) -> str:
    if found is not None:
        return f"broken at entry {found.seq} ({found.kind}): {found.explanation}"
    if done:
        return f"intact, {last_seq} entries"
    return f"checked up to entry {last_seq} of {head_seq}"


async def verify_all(
    engine: AsyncEngine, *, max_entries: int = 50_000
) -> AsyncIterator[VerifyStep]:
    """Every stretch of a full verification; the last one yielded is the verdict."""
    step = await verify_stretch(engine, max_entries=max_entries)
    yield step
    while not step.done:
        step = await verify_stretch(engine, step.last_seq, step.last_hash, max_entries=max_entries)
        yield step


# -- counts for the chart -------------------------------------------------------------------------


def local_days(since: datetime, until: datetime, zone: tzinfo) -> list[date]:
    """The lead's calendar days that [since, until) touches."""
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


async def agent_day_counts(
    engine: AsyncEngine, filters: AuditFilter, zone_name: str, now: datetime
) -> AuditCounts:
    """Counted in the database, a day at a time in the lead's zone (DST included).

    Each row falls in a day by comparing its time with that day's local
    midnights, so the counts are exact in any zone on both backends.
    """
    zone = _zone(zone_name)
    until = filters.until or _midnight(now.astimezone(zone).date() + timedelta(days=1), zone)
    last_day = (until - timedelta(microseconds=1)).astimezone(zone).date()
    since = filters.since or _midnight(last_day - timedelta(days=13), zone)
    if until <= since:
        raise InvalidInput("the time range ends before it starts", field="until")
    days = local_days(since, until, zone)
    if len(days) > MAX_CHART_DAYS:
        raise InvalidInput(
            f"the chart covers at most {MAX_CHART_DAYS} days: narrow the range", field="since"
        )
    bounds = [_midnight(day + timedelta(days=1), zone) for day in days[:-1]]
    bucket = (
        case(*[(audit_log.c.at < bound, i) for i, bound in enumerate(bounds)], else_=len(bounds))
        if bounds
        else literal(0)
    )
    # Resets done, not requested or refused: the row a lead's eye should go to.
    reset = case((and_(action_condition("reset"), audit_log.c.outcome == "success"), 1), else_=0)
    scoped = replace(filters, since=since, until=until)
    inner = (
        select(
            bucket.label("bucket"),
            audit_log.c.actor.label("actor"),
            reset.label("is_reset"),
        )
        .where(*conditions(scoped))
        .subquery()
    )
    stmt = select(
        inner.c.bucket,
        inner.c.actor,
        func.count().label("total"),
        func.sum(inner.c.is_reset).label("resets"),
    ).group_by(inner.c.bucket, inner.c.actor)
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    cells = [
        AgentDayCount(
            day=days[int(row.bucket)],
            agent=str(row.actor),
            total=int(row.total),
            resets=int(row.resets or 0),
        )
        for row in rows
    ]
    cells.sort(key=lambda c: (c.agent, c.day))
    return AuditCounts(
        zone=zone_name, days=days, agents=sorted({c.agent for c in cells}), cells=cells
    )
