"""Actions per agent per day for the chart: the lead's zone decides where a day ends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from supportdesk.api.audit import AuditCounts, AuditFilter
from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import InvalidInput
from supportdesk.service.context import ServiceContext
from tests.service.support import add_entry
from tests.support import sign_in_as


def cell(counts: AuditCounts, agent: str, day: date) -> tuple[int, int]:
    for found in counts.cells:
        if (found.agent, found.day) == (agent, day):
            return found.total, found.resets
    return 0, 0


async def test_counts_split_resets_from_other_actions_per_agent_per_day(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    now = ctx.clock.now()  # Friday 27 Nov, 15:42 UTC
    await sign_in_as(client, ctx, "demo-lead")
    since = now - timedelta(days=6)
    week = AuditFilter(since=since.replace(hour=0, minute=0, second=0, microsecond=0))
    past = await client.audit_counts(week, "UTC")  # the demo world's own month is in there
    for _ in range(3):
        await add_entry(ctx, actor="demo-agent2", action="mfa.reset", ago=timedelta(days=1))
    await add_entry(ctx, actor="demo-agent2", action="sms.resend", ago=timedelta(days=1))
    await add_entry(ctx, actor="demo-agent", action="totp.diagnose", ago=timedelta(hours=1))
    counts = await client.audit_counts(week, "UTC")
    assert counts.days[0] == date(2026, 11, 21) and counts.days[-1] == date(2026, 11, 27)
    total, resets = cell(past, "demo-agent2", date(2026, 11, 26))
    assert cell(counts, "demo-agent2", date(2026, 11, 26)) == (total + 4, resets + 3)
    total, resets = cell(past, "demo-agent", date(2026, 11, 27))
    assert cell(counts, "demo-agent", date(2026, 11, 27)) == (total + 1, resets)
    assert {"demo-agent", "demo-agent2", "demo-lead"} <= set(counts.agents)


async def test_a_late_evening_entry_counts_on_the_leads_own_day(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    # 02:00 UTC on Friday is still Thursday evening in Los Angeles.
    early_friday = datetime(2026, 11, 27, 2, 0, tzinfo=ctx.clock.now().tzinfo)
    await sign_in_as(client, ctx, "demo-lead")
    mine = AuditFilter(agent="demo-agent2")
    before_utc = cell(await client.audit_counts(mine, "UTC"), "demo-agent2", date(2026, 11, 27))
    la_day = date(2026, 11, 26)
    before_la = cell(await client.audit_counts(mine, "America/Los_Angeles"), "demo-agent2", la_day)
    await add_entry(ctx, actor="demo-agent2", ago=ctx.clock.now() - early_friday)
    utc = await client.audit_counts(mine, "UTC")
    la = await client.audit_counts(mine, "America/Los_Angeles")
    # One more action and one more reset on each zone's own day, on top of the demo's past.
    assert cell(utc, "demo-agent2", date(2026, 11, 27)) == (before_utc[0] + 1, before_utc[1] + 1)
    assert cell(la, "demo-agent2", la_day) == (before_la[0] + 1, before_la[1] + 1)
    assert len(utc.days) == 14  # the default range: two weeks up to today


async def test_unknown_zones_and_over_long_ranges_are_refused(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-lead")
    with pytest.raises(InvalidInput, match="unknown time zone"):
        await client.audit_counts(AuditFilter(), "Mars/Olympus_Mons")
    with pytest.raises(InvalidInput, match="at most 92 days"):
        await client.audit_counts(AuditFilter(since=ctx.clock.now() - timedelta(days=200)), "UTC")
