"""The audit log, read by team leads: pages and exports (verification: `audit_verify`).

An export walks the log oldest first in short batches, each in its own short read,
so memory stays flat and writers are never held up for long. This is also what
`supportdesk audit export` runs directly on the embedded store.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, aclosing, nullcontext
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.api.audit import AuditFilter, ExportFormat
from supportdesk.api.models import AuditPage
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput
from supportdesk.service.ops.common import Principal
from supportdesk.service.ops.reads_ahead import reads_ahead, settle
from supportdesk.service.store import audit_export, audit_log, audit_verify
from supportdesk.service.store.engine import reading
from supportdesk.service.store.file_warming import warming

BATCH = 2000
"""Rows per keyset batch of entries: big enough to be quick, small enough to
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

    warm: AbstractAsyncContextManager[None] = nullcontext()
    if filters.params():
        batches = _keyset_batches(fetch, after, limit, through, batch)
    else:
        end = newest if through is None else min(through, newest)
        batches = _ranged_batches(fetch, after, end, limit, batch, reads_ahead(engine))
        if limit is None and through is None and after == 0:
            warm = warming(engine)  # most of the store's file is about to be read
    async with warm, aclosing(batches):  # an export stopped early settles its reads now
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
        await settle([pending] if pending is not None else [])


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
        await settle([task for _width, task in pending])


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
