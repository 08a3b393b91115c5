"""The hourly counts behind the lead's chart and the review queue's usual pace: one row
per actor per UTC hour, kept with each append (issue 13), summed in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import audit_hourly, audit_log


def _upsert(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(audit_hourly)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(audit_hourly)


async def count_hourly(conn: AsyncConnection, at: datetime, actor: str, reset: bool) -> None:
    """Count one entry in its actor's UTC hour (in the append's transaction)."""
    await conn.execute(hourly_count(conn.dialect.name, at, actor, reset))


def hourly_count(dialect: str, at: datetime, actor: str, reset: bool) -> Any:
    """The upsert that counts one entry (the append may send it with its own statements)."""
    hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    done = 1 if reset else 0
    stmt = _upsert(dialect).values(hour=hour, actor=actor, total=1, resets=done)
    return stmt.on_conflict_do_update(
        index_elements=[audit_hourly.c.hour, audit_hourly.c.actor],
        set_={"total": audit_hourly.c.total + 1, "resets": audit_hourly.c.resets + done},
    )


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
        f"FROM audit_log GROUP BY {hour}, actor"
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
    bucket = (
        case(*[(hour < bound, i) for i, bound in enumerate(bounds)], else_=len(bounds))
        if bounds
        else literal(0)
    )
    inner = select(
        bucket.label("bucket"),
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
