"""The audit chain's verification, as a lead runs it: streaming, resumable stretches.

Each stretch walks the log oldest first in batches, each in its own short read, so
memory stays flat and writers are never held up for long; `supportdesk audit verify`
runs the same on the embedded store.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from supportdesk.api.audit import ChainBreakOut, VerifyStep
from supportdesk.rules.audit_chain import GENESIS_HASH, ChainBreak, StoredWalker, column_break
from supportdesk.service.audit import row_to_chain_fields
from supportdesk.service.errors import InvalidInput
from supportdesk.service.ops.reads_ahead import reads_ahead, settle
from supportdesk.service.store import audit_log, audit_verify
from supportdesk.service.store.engine import reading

VERIFY_BATCH = 10_000
"""Rows per read while verifying: only seq, the stored text and two hashes travel."""


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
        await settle([task for _cursor, _take, task in pending])
        pending.clear()

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
