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


async def test_a_resend_counts_once_however_many_entries_it_took(
    any_ctx: ServiceContext,
) -> None:
    """A resend in front of privacyIDEA is queued, then sent (its row named); one the
    carrier refuses is queued, then failed. Each is one action on the chart, counted from
    the hourly counts or from the log itself; asked for by name, the follow-ups count."""
    agent, day = "demo-agent2", any_ctx.clock.now().date()
    everything, by_user = AuditFilter(action="*"), AuditFilter(user="u1005")
    before = [await day_total(any_ctx, f, agent, day) for f in (AuditFilter(), everything, by_user)]
    steps = [
        ("sms.resend", "queued"),
        ("sms.sent", "sent"),
        ("sms.resend", "queued"),
        ("sms.send_failed", "failed"),
    ]
    for minutes, (action, outcome) in enumerate(steps):
        async with any_ctx.engine.begin() as conn:
            await append_audit(
                conn,
                at=any_ctx.clock.now() - timedelta(minutes=minutes + 1),
                actor=Actor(agent, "agent"),
                action=action,
                outcome=outcome,
                target_user="u1005",
            )
    after = [await day_total(any_ctx, f, agent, day) for f in (AuditFilter(), everything, by_user)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 2, 2]
    assert await day_total(any_ctx, AuditFilter(action="sms.sent"), agent, day) == 1
    kept = await counted(any_ctx)
    async with any_ctx.engine.begin() as conn:
        await rebuild_hourly(conn)
    assert await counted(any_ctx) == kept


async def day_total(ctx: ServiceContext, filters: AuditFilter, agent: str, day: object) -> int:
    counts = await agent_day_counts(ctx, filters, "UTC")
    return sum(c.total for c in counts.cells if c.agent == agent and c.day == day)
