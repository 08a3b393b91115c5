"""The demo world's past: a month of audited work a team lead can review, chart and verify."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import RowMapping, select

from supportdesk.api.audit import AuditFilter
from supportdesk.api.client import SupportDeskClient
from supportdesk.rules.audit_chain import verify_chain
from supportdesk.service.audit import row_to_chain_fields
from supportdesk.service.clock import Clock
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.demo.history import TEAM_ZONE
from supportdesk.service.demo.seed import seed_world
from supportdesk.service.demo.world import demo_world
from supportdesk.service.sms.policy import analyse_on_file, refusal
from supportdesk.service.store.engine import sqlite_url
from supportdesk.service.store.schema import (
    approvals,
    audit_head,
    audit_log,
    factors,
    signin_events,
    sms_deliveries,
    users,
)
from tests.support import FROZEN_NOW, fast_settings, sign_in_as

THURSDAY = date(2026, 11, 26)
"""The last working day before the frozen Friday: demo-agent2's day of six resets."""


async def rows(ctx: ServiceContext, table: Any = audit_log) -> list[RowMapping]:
    async with ctx.engine.connect() as conn:
        order = table.c.seq if table is audit_log else table.c[next(iter(table.c.keys()))]
        return list((await conn.execute(select(table).order_by(order))).mappings())


def detail(entry: RowMapping) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(entry["detail"]) if entry["detail"] else {}
    return found


async def test_the_chain_verifies_and_the_seed_entry_closes_it(ctx: ServiceContext) -> None:
    log = await rows(ctx)
    report = verify_chain(row_to_chain_fields(entry) for entry in log)
    assert report.intact and report.checked == len(log)
    assert 300 <= len(log) <= 1500
    assert log[-1]["action"] == "demo.seed" and log[-1]["at"] == FROZEN_NOW
    async with ctx.engine.connect() as conn:
        head = (await conn.execute(select(audit_head))).mappings().one()
    assert (head["seq"], head["hash"]) == (log[-1]["seq"], log[-1]["hash"])


async def test_the_past_is_in_order_and_nothing_is_dated_in_the_future(
    ctx: ServiceContext,
) -> None:
    log = await rows(ctx)
    times = [entry["at"] for entry in log]
    assert times == sorted(times)
    assert max(times) <= FROZEN_NOW
    assert min(times) >= FROZEN_NOW - timedelta(days=31)
    async with ctx.engine.connect() as conn:
        for table, column in (
            (signin_events, signin_events.c.at),
            (sms_deliveries, sms_deliveries.c.updated_at),
            (approvals, approvals.c.decided_at),
            (factors, factors.c.created_at),
        ):
            latest = (await conn.execute(select(column).order_by(column.desc()))).first()
            assert latest is None or latest[0] <= FROZEN_NOW, table.name


async def test_it_reads_like_a_team_at_work(ctx: ServiceContext) -> None:
    log = await rows(ctx)
    actions = Counter(entry["action"] for entry in log)
    for action in (
        "agent.signin",
        "agent.signout",
        "ticket.resolve",
        "sms.resend",
        "totp.diagnose",
        "totp.reenrol",
        "recovery.challenge",
        "recovery.challenge.answer",
        "factor.remove",
        "mfa.reset",
        "access_code.issue",
        "approval.approve",
        "approval.deny",
        "audit.export",
    ):
        assert actions[action], action
    actors = {entry["actor"] for entry in log}
    assert {"demo-agent", "demo-agent2", "demo-agent3", "demo-lead"} <= actors
    tickets = {entry["ticket_id"] for entry in log if entry["ticket_id"]}
    assert all(t.startswith("T-") and int(t[2:]) < 1042 for t in tickets)  # past, resolved
    resolved = [entry for entry in log if entry["action"] == "ticket.resolve"]
    assert len(resolved) == len(tickets)  # every past ticket was resolved, once
    # Working days: each agent signs in in the morning and out in the evening, UK time.
    for entry in log:
        local = entry["at"].astimezone(TEAM_ZONE)
        if entry["action"] == "agent.signout" and entry["actor"] != "demo-agent3":
            assert local.weekday() < 5 and 17 <= local.hour < 18


async def test_every_review_heuristic_finds_something(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-lead")
    queue = await client.audit_review(zone="Europe/London")
    by_kind: dict[str, list[str]] = {}
    for item in queue.items:
        by_kind.setdefault(item.kind, []).append(item.title)
    assert set(by_kind) == {"reset_spike", "after_hours", "repeat_reset", "new_device_after_reset"}
    assert by_kind["reset_spike"] == ["demo-agent2: 6 resets on Thu 26 Nov"]
    assert "demo-agent3: 1 reset outside working hours, Tue 10 Nov" in by_kind["after_hours"]
    assert any(title.startswith("u1023: reset") for title in by_kind["repeat_reset"])
    assert (
        "u1020: sign-in from a new device and country 2 hours after a reset"
        in by_kind["new_device_after_reset"]
    )
    night = next(i for i in queue.items if i.kind == "after_hours")
    assert "At 02:40 u1025" in night.detail
    # The desk of the tests shows UTC, which is UK time in November: the same story.
    in_utc = await client.audit_review(zone="UTC")
    assert [i.title for i in in_utc.items] == [i.title for i in queue.items]


async def test_the_chart_shows_demo_agent2s_resets_standing_out(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-lead")
    counts = await client.audit_counts(AuditFilter(), "UTC")  # the last 14 days
    assert len(counts.days) == 14 and counts.days[-1] == FROZEN_NOW.date()
    resets = {(c.agent, c.day): c.resets for c in counts.cells if c.resets}
    busiest = max(resets, key=lambda key: resets[key])
    assert busiest == ("demo-agent2", THURSDAY) and resets[busiest] == 6
    others = [n for key, n in resets.items() if key != busiest]
    assert others and max(others) * 3 <= resets[busiest]
    totals = {(c.agent, c.day): c.total for c in counts.cells}
    assert {"demo-agent", "demo-agent2", "demo-lead"} <= {a for a, _ in totals}
    assert all(totals.get(("demo-lead", d), 0) for d in counts.days if d.weekday() < 5)


async def test_every_target_is_a_demo_user_and_every_reference_exists(
    ctx: ServiceContext,
) -> None:
    log = await rows(ctx)
    user_ids = {u.id for u in demo_world().users}
    assert {entry["target_user"] for entry in log if entry["target_user"]} <= user_ids
    factor_rows = {f["id"]: f for f in await rows(ctx, factors)}
    deliveries = {d["id"]: d for d in await rows(ctx, sms_deliveries)}
    requests = {a["id"]: a for a in await rows(ctx, approvals)}
    for entry in log:
        about = detail(entry)
        if "factor_id" in about:
            assert factor_rows[about["factor_id"]]["user_id"] == entry["target_user"]
        if entry["action"] == "sms.resend":
            delivery = deliveries[about["delivery_id"]]
            assert (delivery["user_id"], delivery["factor_id"]) == (
                entry["target_user"],
                about["factor_id"],
            )
            assert refusal(analyse_on_file(factor_rows[about["factor_id"]]["phone_e164"])) is None
        if "approval_id" in about:
            request = requests[about["approval_id"]]
            assert (request["target_user_id"], request["ticket_id"]) == (
                entry["target_user"],
                entry["ticket_id"],
            )
            if entry["action"] == "approval.deny":
                assert request["status"] == "denied"
            if entry["action"] == "approval.approve":
                assert request["status"] == "approved"


async def test_todays_accounts_agree_with_the_resets_in_the_log(ctx: ServiceContext) -> None:
    log = await rows(ctx)
    done = [e for e in log if e["action"] == "mfa.reset" and e["outcome"] == "success"]
    last: dict[str, Any] = {}
    for entry in done:
        last[entry["target_user"]] = entry["at"]
    people = {u["id"]: u for u in await rows(ctx, users)}
    assert {u for u, row in people.items() if row["last_mfa_reset_at"]} == set(last)
    for user_id, at in last.items():
        assert people[user_id]["last_mfa_reset_at"] == at
    # The world's own story: Sean Gallagher was reset exactly three days ago.
    assert last["u1035"] == FROZEN_NOW - timedelta(days=3)
    factor_rows = await rows(ctx, factors)
    sign_ins = await rows(ctx, signin_events)
    for user_id, at in last.items():
        mine = [f for f in factor_rows if f["user_id"] == user_id]
        live = [f for f in mine if f["removed_at"] is None]
        assert live and all(f["created_at"] >= at for f in live), user_id
        assert all(f["created_at"] < at for f in mine if f["removed_at"] == at)
        after = [s for s in sign_ins if s["user_id"] == user_id and s["at"] > at]
        first = min(after, key=lambda s: s["at"])
        assert first["mfa_prompted"] and first["mfa_passed"], user_id
    removed = {f for e in done for f in detail(e)["factors_removed"]}
    assert removed  # each reset names what it removed


@pytest.mark.parametrize(
    "now",
    [
        # A summer Monday before work (UK time is UTC+1: the chain must still verify).
        datetime(2026, 7, 13, 6, 20, tzinfo=UTC),
        # Sunday night after the clocks went back, the month spanning the change.
        datetime(2026, 10, 25, 23, 5, tzinfo=UTC),
    ],
)
async def test_any_moment_gives_a_past_that_verifies(now: datetime) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = sqlite_url(Path(folder) / "then.sqlite3")
        then = await open_context(fast_settings(url), clock=Clock(now))
        try:
            await seed_world(then.engine, demo_world(), then.passwords, now)
            log = await rows(then)
        finally:
            await then.engine.dispose()
    report = verify_chain(row_to_chain_fields(entry) for entry in log)
    assert report.intact, report.summary()
    assert [e["at"] for e in log] == sorted(e["at"] for e in log)
    assert log[-2]["at"] < now - timedelta(minutes=15) and log[-1]["action"] == "demo.seed"
    resets = {e["target_user"] for e in log if e["action"] == "mfa.reset"}
    assert {"u1020", "u1023", "u1025", "u1035"} <= resets


async def test_the_same_moment_gives_the_same_past(ctx: ServiceContext) -> None:
    """Seeded again at the same time, the log is the same, hash for hash."""
    with tempfile.TemporaryDirectory() as folder:
        url = sqlite_url(Path(folder) / "again.sqlite3")
        again = await open_context(fast_settings(url), clock=Clock(FROZEN_NOW))
        try:
            await seed_world(again.engine, demo_world(), again.passwords, FROZEN_NOW)
            theirs = [e["hash"] for e in await rows(again)]
        finally:
            await again.engine.dispose()
    assert theirs == [e["hash"] for e in await rows(ctx)]
