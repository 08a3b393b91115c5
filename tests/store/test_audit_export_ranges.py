"""The whole log is exported in ranges of seqs read side by side (two at once on
PostgreSQL), a filtered export batch after batch: either way the file holds the matching
entries in order, once each, across gaps in the seqs and within a chunk's `after`,
`limit` and `through`, and an export stopped early gives its connections back."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import delete, func, select

from supportdesk.api.audit import AuditFilter, jsonl_lines
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_log import iter_batches, iter_export
from supportdesk.service.store.schema import audit_log

EVERYTHING = AuditFilter()
RESETS = AuditFilter(action="mfa.reset")


async def with_gaps(ctx: ServiceContext) -> list[int]:
    """Forty more entries, every third a reset, then twelve in a row and two more taken
    out (seqs a rolled-back write or a purge would leave missing); the seqs left."""
    for i in range(40):
        async with ctx.engine.begin() as conn:
            await append_audit(
                conn,
                at=ctx.clock.now() + timedelta(seconds=i),
                actor=Actor("demo-agent", "agent"),
                action="mfa.reset" if i % 3 == 0 else "ticket.resolve",
                outcome="success",
                target_user="u1001",
            )
    async with ctx.engine.begin() as conn:
        newest = (await conn.execute(select(func.max(audit_log.c.seq)))).scalar_one()
        gone = [*range(newest - 30, newest - 18), newest - 5, newest]
        await conn.execute(delete(audit_log).where(audit_log.c.seq.in_(gone)))
        return list(
            (await conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq))).scalars()
        )


async def expected(
    ctx: ServiceContext, filters: AuditFilter, after: int, limit: int | None, through: int | None
) -> tuple[str, list[int]]:
    rows = [
        r
        async for batch in iter_batches(ctx.engine, filters, after=after)
        for r in batch
        if through is None or r["seq"] <= through
    ][:limit]
    return jsonl_lines(rows), [r["seq"] for r in rows]


async def test_exports_hold_every_matching_entry_once_in_order_across_gaps(
    any_ctx: ServiceContext,
) -> None:
    seqs = await with_gaps(any_ctx)
    middle = seqs[len(seqs) // 2]
    before_gap = next(a for a, b in itertools.pairwise(seqs) if b - a > 10)
    for filters in (EVERYTHING, RESETS):
        for after, limit, through in [
            (0, None, None),
            (middle, None, None),
            (0, 9, None),
            (middle - 20, 25, middle + 10),
            (seqs[-20], None, seqs[-3]),
            (seqs[-1], None, None),
            (before_gap - 2, 5, None),  # the limit reaches past the twelve missing
        ]:
            text, wanted = await expected(any_ctx, filters, after, limit, through)
            for batch in (3, 7, 500):
                got = [
                    found
                    async for found in iter_export(
                        any_ctx.engine,
                        filters,
                        "jsonl",
                        after=after,
                        limit=limit,
                        through=through,
                        batch=batch,
                    )
                ]
                case = (filters, after, limit, through, batch)
                assert "".join(t for t, _n, _last in got) == text, case
                assert sum(n for _t, n, _last in got) == len(wanted), case
                lasts = [last for _t, _n, last in got]
                assert lasts == sorted(set(lasts)) and all(n > 0 for _t, n, _l in got), case
                if wanted:
                    assert lasts[-1] == wanted[-1], case


async def test_an_export_stopped_early_gives_its_connections_back(
    any_ctx: ServiceContext,
) -> None:
    await with_gaps(any_ctx)
    pool = any_ctx.engine.sync_engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    for filters in (EVERYTHING, RESETS):
        export = iter_export(any_ctx.engine, filters, "csv", batch=2)
        async for _first in export:
            break
        await export.aclose()
        assert pool.checkedout() == before, filters  # type: ignore[attr-defined]
