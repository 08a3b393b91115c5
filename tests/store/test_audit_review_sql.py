"""The review queue the store works out in SQL, page by page, is the queue the plain
heuristics find over the same log: same items, same order, each once (both stores)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdesk.api.audit import ReviewItem
from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import InvalidInput
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_review import (
    REPEAT_WITHIN,
    SIGNIN_WITHIN,
    SPIKE_LOOKBACK_DAYS,
    Reset,
    SignIn,
    after_hours,
    new_device_after_reset,
    repeat_resets,
    reset_spikes,
)
from supportdesk.service.store import audit_log
from supportdesk.service.store.engine import reading
from tests.support import sign_in_as

KIND_ORDER = ["reset_spike", "after_hours", "repeat_reset", "new_device_after_reset"]


async def seed_resets(ctx: ServiceContext) -> None:
    """Six weeks of resets at any hour (appended out of time order now and then), a few
    refused or waiting, users drawn from a small pool so some are reset again, and one
    agent's busy day."""
    rng = random.Random(13)
    now = ctx.clock.now()
    agents = ["demo-agent", "demo-agent2", "demo-agent3", "sam"]
    async with ctx.engine.begin() as conn:
        for n in range(260):
            at = now - timedelta(minutes=rng.randrange(0, 42 * 24 * 60), seconds=rng.random())
            await append_audit(
                conn,
                at=at,
                actor=Actor(rng.choice(agents), "agent"),
                action=rng.choice(["mfa.reset", "mfa.reset", "password.reset", "sms.resend"]),
                outcome=rng.choice(["success"] * 8 + ["refused", "pending_approval"]),
                target_user=rng.choice([None, "", *(f"u{1000 + k}" for k in range(60))]),
                detail={"n": n},
            )
        busy = now - timedelta(days=3, hours=5)
        for n in range(9):
            await append_audit(
                conn,
                at=busy + timedelta(minutes=7 * n),
                actor=Actor("sam", "agent"),
                action="mfa.reset",
                outcome="success",
                target_user=f"u20{n:02d}",
            )


def key(item: ReviewItem) -> tuple[float, int, int]:
    return (-item.at.timestamp(), KIND_ORDER.index(item.kind), -max(item.seqs))


async def by_the_heuristics(
    ctx: ServiceContext, since: datetime, until: datetime, zone: ZoneInfo
) -> list[ReviewItem]:
    """The plain functions over every reset they may look at, read one by one."""
    lookback = since - timedelta(days=SPIKE_LOOKBACK_DAYS)
    async with reading(ctx.engine) as conn:
        rows = await audit_log.resets_between(conn, lookback, until)
        resets = [Reset(r.seq, r.at, r.actor, r.target_user, r.action) for r in rows]
        recent = [r for r in resets if r.at >= since]
        users = {r.user for r in recent if r.user}
        found = await ctx.provider.sign_ins_of(conn, users, until=until + SIGNIN_WITHIN)
    signins = [SignIn(u, s.at, s.device_id, s.device_name, s.city, s.country) for u, s in found]
    items = [
        *reset_spikes(resets, since, zone),
        *after_hours(recent, zone),
        *repeat_resets([r for r in resets if r.at >= since - REPEAT_WITHIN], since, zone),
        *new_device_after_reset(recent, signins, zone),
    ]
    return sorted(items, key=key)


async def every_page(
    client: SupportDeskClient, since: datetime, until: datetime, zone: str, limit: int
) -> list[list[ReviewItem]]:
    pages = []
    cursor = None
    while True:
        page = await client.audit_review(
            since=since, until=until, zone=zone, cursor=cursor, limit=limit
        )
        pages.append(list(page.items))
        cursor = page.next_cursor
        if cursor is None:
            return pages


ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Eucla"]
"""Whole-hour zones read the hourly counts; half and three-quarter hours read the log."""


async def test_the_sql_queue_finds_what_the_heuristics_find_page_after_page(
    any_ctx: ServiceContext, any_client: SupportDeskClient
) -> None:
    await seed_resets(any_ctx)
    await sign_in_as(any_client, any_ctx, "demo-lead")
    until = any_ctx.clock.now()
    # A range that starts and ends mid-hour, over a DST change in New York.
    since = until - timedelta(days=30, minutes=17)
    for zone in ZONES:
        expected = await by_the_heuristics(any_ctx, since, until, ZoneInfo(zone))
        assert {i.kind for i in expected} == set(KIND_ORDER), zone  # the seed has every kind
        whole = await every_page(any_client, since, until, zone, limit=500)
        assert whole == [expected], zone
        pages = await every_page(any_client, since, until, zone, limit=4)
        assert all(len(page) == 4 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 4
        assert [item for page in pages for item in page] == expected, zone


async def test_a_page_with_nothing_after_it_has_no_cursor_and_a_made_up_cursor_is_refused(
    any_ctx: ServiceContext, any_client: SupportDeskClient
) -> None:
    await sign_in_as(any_client, any_ctx, "demo-lead")
    until = datetime(2026, 1, 10, tzinfo=UTC)  # long before the demo world's past
    empty = await any_client.audit_review(since=until - timedelta(days=3), until=until)
    assert empty.items == [] and empty.next_cursor is None
    for made_up in ("12.9.3", f"{10**30}.1.3", "1.1.1.1", "soon"):
        with pytest.raises(InvalidInput, match="cursor"):
            await any_client.audit_review(cursor=made_up)
