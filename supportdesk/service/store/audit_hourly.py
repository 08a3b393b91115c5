"""The hourly counts behind the lead's chart and the review queue's usual pace: one row
per actor per UTC hour, kept with each append (issue 13), summed in the database.

They count actions: an entry that only reports what became of an action already in the
log (`FOLLOW_UPS`) is not counted again, so one resend is one action however many
entries it took.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.audit import AuditFilter
from supportdesk.service.store.audit_log import conditions
from supportdesk.service.store.schema import audit_hourly, audit_log

FOLLOW_UPS: tuple[str, ...] = ("sms.sent", "sms.send_failed")
"""Entries that follow an action's own entry and count for nothing on the chart: a queued
text that privacyIDEA then sent (`sms.sent`, naming its audit row), or that the carrier
refused (`sms.send_failed`). The resend was counted when it was queued."""


def _upsert(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(audit_hourly)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(audit_hourly)


async def count_hourly(
    conn: AsyncConnection, at: datetime, actor: str, action: str, outcome: str
) -> None:
    """Count one entry in its actor's UTC hour (in the append's transaction)."""
    stmt = hourly_count(conn.dialect.name, at, actor, action, outcome)
    if stmt is not None:
        await conn.execute(stmt)


def hourly_count(dialect: str, at: datetime, actor: str, action: str, outcome: str) -> Any | None:
    """The upsert that counts one entry, and a reset when it is a reset done (the append may
    send it with its own statements); None for a follow-up, which is not counted."""
    if action in FOLLOW_UPS:
        return None
    hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    done = 1 if "reset" in action and outcome == "success" else 0
    stmt = _upsert(dialect).values(hour=hour, actor=actor, total=1, resets=done)
    return stmt.on_conflict_do_update(
        index_elements=[audit_hourly.c.hour, audit_hourly.c.actor],
        set_={"total": audit_hourly.c.total + 1, "resets": audit_hourly.c.resets + done},
    )


_FOLLOW_UPS_SQL = ", ".join(f"'{action}'" for action in FOLLOW_UPS)


async def rebuild_hourly(conn: AsyncConnection) -> None:
    """Count the whole log again, in the database (after a bulk load, or a store from
    before the counts were kept)."""
    if conn.dialect.name == "postgresql":
        hour = "date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    else:
        hour = "substr(at, 1, 13) || ':00:00.000000'"
    await conn.execute(audit_hourly.delete())
    await conn.exec_driver_sql(
        "INSERT INTO audit_hourly (hour, actor, total, resets) "
        f"SELECT {hour}, actor, count(*), "
        "sum(CASE WHEN action LIKE '%reset%' AND outcome = 'success' THEN 1 ELSE 0 END) "
        f"FROM audit_log WHERE action NOT IN ({_FOLLOW_UPS_SQL}) GROUP BY {hour}, actor"
    )


async def ensure_hourly(conn: AsyncConnection) -> None:
    """Fill the hourly counts when the log has entries but none are counted."""
    counted = (await conn.execute(select(audit_hourly.c.hour).limit(1))).first()
    if counted is None and (await conn.execute(select(audit_log.c.seq).limit(1))).first():
        await rebuild_hourly(conn)


async def hourly_day_counts(
    conn: AsyncConnection,
    since: datetime,
    until: datetime,
    agent: str | None,
    bounds: Sequence[datetime],
) -> list[Any]:
    """(bucket, actor, total, resets) per lead's day and actor, summed in the database
    from the hourly counts in [since, until); `bounds` are the midnights between days."""
    hour = audit_hourly.c.hour
    inner = select(
        _day(hour, bounds).label("bucket"),
        audit_hourly.c.actor.label("actor"),
        audit_hourly.c.total.label("total"),
        audit_hourly.c.resets.label("resets"),
    ).where(hour >= since, hour < until)
    if agent:
        inner = inner.where(audit_hourly.c.actor == agent)
    sub = inner.subquery()
    stmt = select(
        sub.c.bucket,
        sub.c.actor,
        func.sum(sub.c.total).label("total"),
        func.sum(sub.c.resets).label("resets"),
    ).group_by(sub.c.bucket, sub.c.actor)
    return list((await conn.execute(stmt)).all())


async def follow_up_day_counts(
    conn: AsyncConnection, filters: AuditFilter, bounds: Sequence[datetime]
) -> dict[tuple[int, str], int]:
    """The follow-ups among the entries the filters match, per day bucket and actor: what
    a count of the log itself takes off to count actions, as the hourly counts do."""
    bucket = _day(audit_log.c.at, bounds).label("bucket")
    stmt = (
        select(bucket, audit_log.c.actor, func.count())
        .where(*conditions(filters), audit_log.c.action.in_(FOLLOW_UPS))
        .group_by(bucket, audit_log.c.actor)
    )
    return {(int(b), str(actor)): int(n) for b, actor, n in (await conn.execute(stmt)).all()}


def _day(at: Any, bounds: Sequence[datetime]) -> Any:
    """Which day bucket a time falls in: i before the i-th of the midnights `bounds`."""
    if not bounds:
        return literal(0)
    return case(*[(at < bound, i) for i, bound in enumerate(bounds)], else_=len(bounds))
