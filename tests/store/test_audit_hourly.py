"""The hourly counts the chart sums are kept with each append and rebuilt to the same."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supportdesk.api.audit import AuditFilter
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_counts import agent_day_counts
from supportdesk.service.store.audit_hourly import rebuild_hourly
from supportdesk.service.store.schema import audit_hourly


async def counted(ctx: ServiceContext) -> set[tuple[object, ...]]:
    async with ctx.engine.connect() as conn:
        return {tuple(r) for r in (await conn.execute(select(audit_hourly))).all()}


async def test_counts_kept_by_appends_match_a_recount_and_the_charts_agree(
    any_ctx: ServiceContext,
) -> None:
    for i, (action, outcome) in enumerate(
        [("mfa.reset", "success"), ("mfa.reset", "refused"), ("password.reset", "success")]
    ):
        async with any_ctx.engine.begin() as conn:
            await append_audit(
                conn,
                at=any_ctx.clock.now() - timedelta(hours=i * 7, minutes=13),
                actor=Actor("demo-agent2", "agent"),
                action=action,
                outcome=outcome,
            )
    kept = await counted(any_ctx)
    from_hours = await agent_day_counts(any_ctx, AuditFilter(), "UTC")
    # A filter the hourly counts cannot answer counts the log itself: the same cells.
    everything = AuditFilter(outcome=None, action="*")
    from_log = await agent_day_counts(any_ctx, everything, "UTC")
    async with any_ctx.engine.begin() as conn:
        await rebuild_hourly(conn)
    assert await counted(any_ctx) == kept
    assert from_hours.cells == from_log.cells
    assert any(c.agent == "demo-agent2" and c.resets >= 2 for c in from_hours.cells)
