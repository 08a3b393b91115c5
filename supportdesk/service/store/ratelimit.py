"""Sliding-window rate limits kept in the store, so every API worker sees the same count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import rate_hits


@dataclass(frozen=True)
class Limit:
    """At most `count` hits in any `window`."""

    count: int
    window: timedelta
    description: str


async def hold(conn: AsyncConnection, bucket: str) -> None:
    """Queue on the bucket for the rest of the transaction, so a check and the hit it
    leads to cannot interleave with another worker's (SQLite's IMMEDIATE transactions
    already queue; PostgreSQL takes an advisory lock)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:bucket))"), {"bucket": bucket}
        )


async def _recent(conn: AsyncConnection, bucket: str, since: datetime) -> list[datetime]:
    """The bucket's hits after `since`, oldest first: one statement for every limit."""
    found = await conn.execute(
        select(rate_hits.c.at)
        .where(rate_hits.c.bucket == bucket)
        .where(rate_hits.c.at > since)
        .order_by(rate_hits.c.at)
    )
    return list(found.scalars())


def _longest(limits: Sequence[Limit]) -> timedelta:
    return max((limit.window for limit in limits), default=timedelta(0))


async def take(
    conn: AsyncConnection, bucket: str, now: datetime, limits: Sequence[Limit]
) -> tuple[int, Limit] | None:
    """Record a hit, or return (seconds to wait, the limit that refused) and record nothing.

    Runs in the caller's transaction, so a refused or rolled-back action costs no hit.
    """
    await hold(conn, bucket)
    longest = _longest(limits)
    await conn.execute(
        delete(rate_hits).where(rate_hits.c.bucket == bucket).where(rate_hits.c.at < now - longest)
    )
    hits = await _recent(conn, bucket, now - longest) if limits else []
    for limit in limits:
        since = now - limit.window
        inside = [at for at in hits if at > since]
        if len(inside) >= limit.count:
            first: datetime = inside[0] if inside else now
            wait = int((first + limit.window - now).total_seconds()) + 1
            return max(1, wait), limit
    await conn.execute(rate_hits.insert().values(bucket=bucket, at=now))
    return None


async def wait_s(conn: AsyncConnection, bucket: str, now: datetime, limits: Sequence[Limit]) -> int:
    """Seconds until ``take`` would let one more hit through (0: now), without taking."""
    if not limits:
        return 0
    hits = await _recent(conn, bucket, now - _longest(limits))
    worst = 0
    for limit in limits:
        inside = [at for at in hits if at > now - limit.window]
        if len(inside) >= limit.count:
            frees_at: datetime = inside[len(inside) - limit.count] + limit.window
            worst = max(worst, ceil((frees_at - now).total_seconds()))
    return worst


async def count(conn: AsyncConnection, bucket: str, since: datetime) -> int:
    """Hits in the bucket after `since`."""
    found = (
        await conn.execute(
            select(func.count()).where(rate_hits.c.bucket == bucket).where(rate_hits.c.at > since)
        )
    ).scalar_one()
    return int(found)


async def hit(conn: AsyncConnection, bucket: str, now: datetime, keep: timedelta) -> int:
    """Record one hit unconditionally (hits older than `keep` go); the hits now in `keep`.

    For counting failures, where the thing counted has already happened: the caller
    holds whatever serialises the bucket (a row lock), so the count it gets back is exact.
    """
    await conn.execute(
        delete(rate_hits).where(rate_hits.c.bucket == bucket).where(rate_hits.c.at < now - keep)
    )
    await conn.execute(rate_hits.insert().values(bucket=bucket, at=now))
    return await count(conn, bucket, now - keep)


async def clear(conn: AsyncConnection, bucket: str) -> None:
    """Forget the bucket (a success forgives its failures)."""
    await conn.execute(delete(rate_hits).where(rate_hits.c.bucket == bucket))
