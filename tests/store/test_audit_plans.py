"""A lead's filtered page walks an index on both stores, never the whole table (issue 13).

`EXPLAIN` of the page query for each filter a lead uses, over a log big enough that the
planner has a choice: a plan that reads the table (SQLite `SCAN audit_log`, PostgreSQL
`Seq Scan`) or sorts every match instead of walking the index in seq order fails, and
so does one that reads the chosen entries other than by primary key.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.audit import AuditFilter
from supportdesk.rules.audit_chain import GENESIS_HASH, body_hash, entry_body
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.audit_export import export_statement
from supportdesk.service.store.audit_log import page_query
from supportdesk.service.store.schema import audit_head, audit_log

ENTRIES = 60_000
AGENTS = [f"agent-{n:02d}" for n in range(32)]
ACTIONS = ["agent.signin", "ticket.resolve", "sms.resend", "mfa.reset", "factor.remove"]
WEIGHTS = [30, 30, 20, 2, 18]
"""As on a real desk: resets are few among sign-ins and resolved tickets."""


async def big_log(ctx: ServiceContext) -> None:
    """ENTRIES entries over 90 days, chained, inserted in bulk, then ANALYZEd."""
    rng = random.Random(13)
    async with ctx.engine.begin() as conn:
        head = (await conn.execute(audit_head.select())).one()
        seq, prev = int(head.seq), str(head.hash or GENESIS_HASH)
        start = ctx.clock.now() - timedelta(days=90)
        rows: list[dict[str, Any]] = []
        for i in range(ENTRIES):
            seq += 1
            at = start + timedelta(seconds=i * 90 * 86400 / ENTRIES)
            fields: dict[str, Any] = {
                "seq": seq,
                "at": at.isoformat(),
                "actor": rng.choice(AGENTS),
                "actor_role": "agent",
                "action": rng.choices(ACTIONS, WEIGHTS)[0],
                "target_user": f"u{rng.randrange(1000, 9000)}",
                "ticket_id": f"T-{rng.randrange(1000, 20000)}",
                "reason": "checked",
                "verification": None,
                "outcome": "success",
                "detail": None,
                "request_id": None,
                "prev_hash": prev,
            }
            body = entry_body(fields)
            prev = body_hash(body)
            rows.append({**fields, "at": at, "hash": prev, "body": body})
        await conn.execute(audit_log.insert(), rows)
        await conn.execute(audit_head.update().values(seq=seq, hash=prev))
        await conn.execute(text("ANALYZE"))


FILTERS: dict[str, tuple[AuditFilter, str]] = {
    "agent": (AuditFilter(agent="agent-07"), "ix_audit_actor"),
    "user": (AuditFilter(user="u4242"), "ix_audit_target"),
    "action": (AuditFilter(action="mfa.reset"), "ix_audit_action"),
    "ticket": (AuditFilter(ticket="T-4242"), "ix_audit_ticket"),
    "agent, resets, 7 days": (
        AuditFilter(agent="agent-07", action="reset"),  # since is set in the test
        "ix_audit_actor",
    ),
}


async def plan_of(conn: AsyncConnection, filters: AuditFilter) -> list[str]:
    query = page_query(filters, limit=101)
    return await explain(conn, query.choice.params(query.values))


async def explain(conn: AsyncConnection, stmt: Select[Any]) -> list[str]:
    """The plan's steps as text, one per node."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()
        return [str(r[-1]) for r in rows]
    found = (await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}")).scalar_one()
    plan = json.loads(found) if isinstance(found, str) else found
    steps: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        name = node.get("Index Name") or node.get("Relation Name", "")
        steps.append(f"{node['Node Type']} {name}".strip())
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return steps


def scans(steps: list[str], index: str) -> str | None:
    """Why a plan reads more than its page, or None when it walks `index`.

    A top-N sort is allowed only over a bitmap of that very index (PostgreSQL's choice
    when the matches are few: a user's or a ticket's entries, a week of one agent's).
    """
    if not any(index in step for step in steps):
        return f"does not use {index}"
    if any(step.startswith(("SCAN audit_log", "Seq Scan")) for step in steps):
        return "reads the whole table"
    if any("TEMP B-TREE" in step for step in steps):
        return "sorts every match (SQLite)"
    if any(step.startswith("Sort") for step in steps) and not any(
        step == f"Bitmap Index Scan {index}" for step in steps
    ):
        return "sorts what another index found"
    return None


def reads_beyond_the_page(steps: list[str]) -> str | None:
    """Why the page's rows are not read by primary key, once chosen, or None."""
    if any(step.startswith(("SCAN audit_log", "Seq Scan")) for step in steps):
        return "reads the whole table"
    by_key = ("SEARCH audit_log USING INTEGER PRIMARY KEY (rowid=?)", "Index Scan audit_log_pkey")
    if not any(step in by_key for step in steps):
        return "does not read the chosen rows by primary key"
    return None


async def test_every_lead_filter_walks_its_index(any_ctx: ServiceContext) -> None:
    await big_log(any_ctx)
    found: dict[str, str] = {}
    async with any_ctx.engine.connect() as conn:
        for name, (filters, index) in FILTERS.items():
            if name.endswith("7 days"):
                filters = AuditFilter(
                    agent=filters.agent,
                    action=filters.action,
                    since=any_ctx.clock.now() - timedelta(days=7),
                )
            steps = await plan_of(conn, filters)
            why = scans(steps, index)
            if why is not None:
                found[name] = f"{why}: {' | '.join(steps)}"
            query = page_query(filters, limit=101)
            steps = await explain(conn, query.rows.params(query.values))
            why = reads_beyond_the_page(steps)
            if why is not None:
                found[f"{name}, the page's rows"] = f"{why}: {' | '.join(steps)}"
        one_agent = export_statement(
            conn.dialect.name, AuditFilter(agent="agent-07"), "jsonl", 0, 5000
        )
        steps = await explain(conn, one_agent)
        why = scans(steps, "ix_audit_actor")
        if why is not None:
            found["export of one agent"] = f"{why}: {' | '.join(steps)}"
    assert found == {}


async def test_the_review_queue_reads_resets_from_their_own_index(any_ctx: ServiceContext) -> None:
    from zoneinfo import ZoneInfo

    from supportdesk.service.ops.review_queue import RULES, window_for
    from supportdesk.service.store.audit_review import page_sql

    await big_log(any_ctx)
    until = any_ctx.clock.now()
    since = until - timedelta(days=30)
    window = window_for(since, until, ZoneInfo("Europe/London"), until - timedelta(days=1), None)
    sql = page_sql(any_ctx.engine.dialect.name, window.offsets, RULES, keyset=False)
    stmt = text(sql).bindparams(
        lookback=window.lookback,
        scan_to=window.scan_to,
        lo_us=window.lo_us,
        h0=window.h0,
        h1=window.h1,
        first=window.first,
        since=window.since,
        until=window.until,
        first_day=window.first_day,
        limit=51,
    )
    async with any_ctx.engine.connect() as conn:
        steps = await explain(conn, stmt)  # type: ignore[arg-type]
    table_scans = [s for s in steps if s in ("SCAN audit_log", "Seq Scan audit_log")]
    assert table_scans == [] and any("ix_audit_resets" in s for s in steps), steps


async def test_reads_on_postgresql_price_random_pages_as_on_ssd(any_ctx: ServiceContext) -> None:
    """Pages are read in autocommit, where a SET LOCAL would do nothing: the setting the
    plans above rely on is each connection's own."""
    from supportdesk.service.store.engine import reading

    if any_ctx.engine.dialect.name != "postgresql":
        return
    async with reading(any_ctx.engine) as conn:
        found = (await conn.exec_driver_sql("SHOW random_page_cost")).scalar_one()
    assert float(found) == 1.1
