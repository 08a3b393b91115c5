"""The audit log, read by team leads: pages, exports and the chain's verification.

Export and verification walk the log oldest first in short batches, each in its own
short read, so memory stays flat and writers are never held up for long. These are
also what `supportdesk audit` runs directly on the embedded store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.api.audit import AuditFilter, ChainBreakOut, ExportFormat, VerifyStep
from supportdesk.api.models import AuditEntry, AuditPage
from supportdesk.rules.audit_chain import GENESIS_HASH, ChainBreak, ChainWalker, entry_hash
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record, row_to_chain_fields
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput
from supportdesk.service.ops.common import Principal
from supportdesk.service.store import audit_log
from supportdesk.service.store.engine import reading

BATCH = 2000
"""Rows per read while exporting or verifying: big enough to be quick, small enough to
hold no lock for long."""

SWAP_WINDOW = 1000
"""How far either side an edited entry is checked for being another entry moved here."""

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
    async with reading(ctx.engine) as conn:
        rows = await audit_log.page(
            conn, filters, before=before, after=after, seqs=wanted, limit=limit + 1
        )
    entries = [AuditEntry.model_validate(dict(r)) for r in rows]
    more = len(entries) > limit
    entries = entries[:limit]
    return AuditPage(entries=entries, next_cursor=entries[-1].seq if more and entries else None)


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


async def export_bounds(engine: AsyncEngine, filters: AuditFilter) -> tuple[int, int]:
    """Where an export starts and the log's head: progress is measured between them."""
    async with reading(engine) as conn:
        head_seq, _hash = await audit_log.head(conn)
        first: int | None = 1
        if filters.since is not None:
            first = await audit_log.first_since(conn, filters.since)
    return (first if first is not None else head_seq + 1), head_seq


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
    if after_seq > 0 and after_hash is None:
        raise InvalidInput(
            "resuming needs the hash of the entry to resume after", field="after_hash"
        )
    async with reading(engine) as conn:
        head_seq, head_hash = await audit_log.head(conn)
    walker = ResumedWalker(after_seq, after_hash)
    seen = 0
    exhausted = False
    while seen < max_entries and walker.first_break is None:
        take = min(batch, max_entries - seen)
        async with reading(engine) as conn:
            rows = await audit_log.batch_after(conn, None, walker.last_seq, take)
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
