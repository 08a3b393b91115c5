"""The audit log, read by team leads: pages, exports and the chain's verification.

Export and verification walk the log oldest first in short batches, each in its own
short read, so memory stays flat and writers are never held up for long. These are
also what `supportdesk audit` runs directly on the embedded store.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Sequence
from contextlib import aclosing, asynccontextmanager, suppress
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from supportdesk.api.audit import (
    AuditFilter,
    ChainBreakOut,
    ExportFormat,
    VerifyStep,
)
from supportdesk.api.models import AuditPage
from supportdesk.rules.audit_chain import GENESIS_HASH, ChainBreak, StoredWalker, column_break
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record, row_to_chain_fields
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput
from supportdesk.service.ops.common import Principal
from supportdesk.service.store import audit_export, audit_log, audit_verify
from supportdesk.service.store.engine import reading

BATCH = 2000
"""Rows per read while exporting or verifying: big enough to be quick, small enough to
hold no lock for long."""

MAX_SEQS = 200


# -- pages ------------------------------------------------------------------------------------


async def read_page(
    ctx: ServiceContext,
    filters: AuditFilter,
    *,
    before: int | None,
    after: int | None,
    seqs: Sequence[int] | None,
    limit: int,
) -> AuditPage:
    """Newest first; `next_cursor` fetches the following (older) page."""
    wanted = sorted(set(seqs)) if seqs is not None else None
    if wanted is not None and len(wanted) > MAX_SEQS:
        raise InvalidInput(f"ask for at most {MAX_SEQS} entries by seq", field="seqs")
    async with reading(ctx.engine, keyed=True) as conn:  # an index walk, a page at most
        rows = await audit_log.page(
            conn, filters, before=before, after=after, seqs=wanted, limit=limit + 1
        )
    more = len(rows) > limit
    shown = rows[:limit]
    # One validation for the whole page: no model call per row.
    return AuditPage.model_validate(
        {
            "entries": shown,
            "next_cursor": shown[-1]["seq"] if more and shown else None,
        }
    )


async def entry(engine: AsyncEngine, seq: int) -> dict[str, Any] | None:
    async with reading(engine) as conn:
        return await audit_log.entry(conn, seq)


# -- export --------------------------------------------------------------------------------------


async def start_export(
    ctx: ServiceContext,
    who: Principal,
    filters: AuditFilter,
    *,
    fmt: ExportFormat,
    saved_as: ExportFormat | None,
    after: int,
    request_id: str,
) -> tuple[int, int]:
    """Record the export (a sensitive read) when it starts, not each chunk of it; where
    it starts and the log's head, for the progress bar.

    The entry names the format of the file written (`saved_as`, when the desk fetches
    in one format and saves in another), else the format sent.
    """
    if after == 0:
        async with ctx.engine.begin() as conn:
            entry = audit.audit_exported(who.actor, fmt=saved_as or fmt, filters=filters.params())
            await record(conn, entry, at=ctx.clock.now(), request_id=request_id)
    return await export_bounds(ctx.engine, filters)


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
    while remaining is None or remaining > 0:
        take = batch if remaining is None else min(batch, remaining)
        async with reading(engine) as conn:
            rows = await audit_log.batch_after(conn, filters, cursor, take)
        if not rows:
            return
        yield rows
        cursor = int(rows[-1]["seq"])
        if remaining is not None:
            remaining -= len(rows)
        if len(rows) < take:
            return


EXPORT_BATCH = 5000
"""Rows per read while exporting: each read is short, and a batch's text is dropped once
written, so memory stays flat at any size (a few batches are held at most)."""

ExportBatch = tuple[str, int, int]
"""A batch's text (each record ended), how many records, and the last one's seq."""


async def iter_export(
    engine: AsyncEngine,
    filters: AuditFilter,
    fmt: ExportFormat,
    *,
    after: int = 0,
    limit: int | None = None,
    through: int | None = None,
    batch: int = EXPORT_BATCH,
) -> AsyncIterator[ExportBatch]:
    """The export's text a batch at a time, oldest first: (text, rows, last seq).

    The database spells each record as the file has it and joins the batch's records
    into one string: no model, no dict and no Python string per row. `through` stops
    at that seq (a chunk whose size was announced before it was sent).

    Batches are read while the caller writes the one before, so the database spells
    while Python writes instead of each waiting for the other. A filtered export reads
    the next batch from where this one ended (its last seq: nothing is guessed). The
    whole log is read in ranges of seqs up to its newest entry as the export began, which do not
    depend on each other, so on PostgreSQL two are read at once, on two of its backends
    (twice the rate on two cores); a gap in the seqs only makes a range shorter.
    """
    if limit is not None and limit <= 0:
        return
    async with reading(engine) as conn:
        stored = await audit_verify.trusted(conn)
        newest = await audit_verify.newest_seq(conn) or 0  # what is stored, head row or not

    async def fetch(cursor: int, take: int, upto: int | None) -> ExportBatch:
        async with reading(engine) as conn:
            return await audit_export.export_text(conn, filters, fmt, cursor, take, upto, stored)

    if filters.params():
        batches = _keyset_batches(fetch, after, limit, through, batch)
    else:
        end = newest if through is None else min(through, newest)
        batches = _ranged_batches(fetch, after, end, limit, batch, reads_ahead(engine))
    async with aclosing(batches):  # an export stopped early settles its reads now
        async for found in batches:
            yield found


Fetch = Callable[[int, int, "int | None"], Coroutine[Any, Any, ExportBatch]]
"""One export read: after this seq, at most this many, up to this seq (or the end)."""


async def _keyset_batches(
    fetch: Fetch, after: int, limit: int | None, through: int | None, batch: int
) -> AsyncGenerator[ExportBatch, None]:
    """Each batch from the last seq of the one before, read while that one is written."""
    remaining = limit
    take = batch if remaining is None else min(batch, remaining)
    pending: asyncio.Task[ExportBatch] | None = asyncio.create_task(fetch(after, take, through))
    try:
        while pending is not None:
            text, count, cursor = await pending
            pending = None
            if not count:
                return
            if remaining is not None:
                remaining -= count
            if count == take and (remaining is None or remaining > 0):
                take = batch if remaining is None else min(batch, remaining)
                pending = asyncio.create_task(fetch(cursor, take, through))
            yield text, count, cursor
            del text
    finally:
        await _settle([pending] if pending is not None else [])


async def _ranged_batches(
    fetch: Fetch, after: int, end: int, limit: int | None, batch: int, ahead: int
) -> AsyncGenerator[ExportBatch, None]:
    """Ranges of `batch` seqs from `after` to `end`, `ahead` of them read at once, in order.

    A range yields at most as many rows as it is wide, so planning no more width than
    `limit` leaves keeps the export within it."""
    pending: deque[tuple[int, asyncio.Task[ExportBatch]]] = deque()
    start = after
    left = limit  # rows not yet given out or planned for

    def plan() -> None:
        nonlocal start, left
        width = min(batch, end - start) if left is None else min(batch, end - start, left)
        if width > 0:
            pending.append((width, asyncio.create_task(fetch(start, width, start + width))))
            start += width
            if left is not None:
                left -= width

    try:
        for _ in range(ahead):
            plan()
        while pending:
            width, task = pending.popleft()
            text, count, last = await task
            if left is not None:
                left += width - count  # a short range gives its unused width back
            plan()
            if count:
                yield text, count, last
            del text
    finally:
        await _settle([task for _width, task in pending])


async def _settle(tasks: list[asyncio.Task[ExportBatch]]) -> None:
    """Reads the caller left behind (it stopped early): waited for, not cancelled, so
    their connections go back to the pool whole."""
    for task in tasks:
        with suppress(Exception):
            await task


async def chunk_bounds(
    engine: AsyncEngine, filters: AuditFilter, after: int, limit: int
) -> tuple[int, int]:
    """A chunk's entries and its last seq, before it is sent (see `iter_export`'s
    `through`, which holds the chunk to them whatever is appended meanwhile)."""
    async with reading(engine) as conn:
        return await audit_export.chunk_bounds(conn, filters, after, limit)


async def export_bounds(engine: AsyncEngine, filters: AuditFilter) -> tuple[int, int]:
    """Where an export starts and the log's head: progress is measured between them."""
    async with reading(engine) as conn:
        head_seq, _hash = await audit_log.head(conn)
        first: int | None = 1
        if filters.since is not None:
            first = await audit_log.first_since(conn, filters.since)
    return (first if first is not None else head_seq + 1), head_seq


# -- verification ----------------------------------------------------------------------------------

VERIFY_BATCH = 10_000
"""Rows per read while verifying: only seq, the stored text and two hashes travel."""


VERIFY_READS_AHEAD = {"postgresql": 2, "sqlite": 1}
"""Batches read ahead of the hashing. PostgreSQL reads in a process of its own, so two
keep it busy while this one hashes; SQLite reads in this process, where a second read
only contends with the hashing."""


def reads_ahead(engine: AsyncEngine) -> int:
    return VERIFY_READS_AHEAD.get(engine.dialect.name, 1)


async def verify_stretch(
    engine: AsyncEngine,
    after_seq: int = 0,
    after_hash: str | None = None,
    *,
    max_entries: int = 50_000,
    batch: int = VERIFY_BATCH,
) -> VerifyStep:
    """Walk up to `max_entries` after the given entry; at the end, hold the tail to the head.

    Each entry's stored canonical text is hashed as stored, and the database says
    whether the row's columns still spell it (a column it generates as each row is
    written), so an edit of any column breaks the chain without re-encoding anything
    here. The head row records the newest entry's seq
    and hash, so deleting the newest entries (which no later entry would point to)
    is caught too, and so is deleting the head row itself.
    """
    if after_seq > 0 and after_hash is None:
        raise InvalidInput(
            "resuming needs the hash of the entry to resume after", field="after_hash"
        )
    walker = StoredWalker(after_seq, after_hash or GENESIS_HASH)
    head: tuple[int, str] | None = None
    Batch = tuple[tuple[Any, ...] | None, tuple[int, str] | None]

    async with reading(engine) as conn:
        stored = await audit_verify.trusted(conn)

    async def fetch(cursor: int, take: int) -> Batch:
        async with _snapshot(engine) as conn:
            joined = await audit_verify.chain_batch(conn, cursor, take, stored=stored)
            # The same snapshot as the last rows: the head must name the last of them.
            count = int(joined[0]) if joined is not None else 0
            end = await audit_verify.head_row(conn) if count < take else None
        return joined, end

    # Reads run ahead of the hashing: the next batch is read while one is hashed and, on
    # PostgreSQL, the one after it too, assuming seqs without gaps (batch n + 1 starts
    # where batch n would end). A read whose assumption did not hold (a gap, a batch
    # read again row by row) is dropped and reading goes on from where the walk is.
    ahead = reads_ahead(engine)
    pending: deque[tuple[int, int, asyncio.Task[Batch]]] = deque()
    planned = 0  # entries asked for so far
    frontier = walker.last_seq  # where the next read starts

    def plan() -> None:
        nonlocal planned, frontier
        take = min(batch, max_entries - planned)
        if take > 0:
            pending.append((frontier, take, asyncio.create_task(fetch(frontier, take))))
            planned += take
            frontier += take

    async def drop_pending() -> None:
        while pending:  # waited for, not cancelled: their connections go back whole
            _cursor, _take, task = pending.popleft()
            with suppress(Exception):
                await task

    seen = 0
    exhausted = False
    try:
        for _ in range(ahead):
            plan()
        while pending:
            cursor, take, task = pending.popleft()
            joined, found_head = await task
            if cursor != walker.last_seq:  # read from where the walk did not end up
                await drop_pending()
                planned, frontier = seen, walker.last_seq
                plan()
                continue
            head = found_head
            count = int(joined[0]) if joined is not None else 0
            exhausted = count < take
            seen += count
            if not exhausted:
                if not pending:
                    frontier = int(joined[2]) if joined is not None else cursor
                while len(pending) < ahead and planned < max_entries:
                    plan()
            if joined is not None and not walker.feed_joined(*joined):
                # Something in this batch does not hold: read it row by row to name it.
                async with _snapshot(engine) as conn:
                    rows = await audit_verify.chain_rows(conn, walker.last_seq, count)
                if not walker.feed_all(rows) and walker.first_break is not None:
                    async with reading(engine) as conn:
                        walker.first_break = await _explained(conn, walker.first_break, rows)
                    break
            if exhausted:
                break
    finally:
        await drop_pending()
    if not exhausted:
        async with reading(engine) as conn:
            head = await audit_verify.head_row(conn)
    found = walker.first_break
    head_seq = head[0] if head is not None else 0
    if found is None and exhausted:
        found = _tail_break(walker.last_seq, walker.last_hash, head)
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


async def _explained(
    conn: AsyncConnection, found: ChainBreak, rows: Sequence[tuple[Any, ...]]
) -> ChainBreak:
    """A break whose columns disagree with the stored text names the columns changed."""
    broken = next((r for r in rows if int(r[0]) == found.seq), None)
    if broken is None or bool(broken[4]) or found.kind != "edited":
        return found
    columns = await audit_log.entry(conn, found.seq)
    if columns is None:
        return found
    return column_break(found.seq, broken[1], broken[2], row_to_chain_fields(columns))


@asynccontextmanager
async def _snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read whose statements all see one moment (SQLite's deferred read does already)."""
    async with reading(engine) as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def _tail_break(last_seq: int, last_hash: str, head: tuple[int, str] | None) -> ChainBreak | None:
    if head is None:
        if last_seq == 0:
            return None  # a store that never had an entry has no head yet
        return ChainBreak(
            last_seq,
            "missing",
            "the head row that records the newest entry is gone: the log may have been cut",
        )
    head_seq, head_hash = head
    if last_seq > head_seq:
        return ChainBreak(
            head_seq + 1,
            "missing",
            f"the head records entry {head_seq} but the log goes on to entry {last_seq}: "
            "the head was rewritten or deleted",
        )
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
