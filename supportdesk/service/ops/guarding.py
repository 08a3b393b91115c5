"""Counting failed staff sign-ins so guessing stops but a stranger cannot lock staff out.

Three counters, all in `rate_hits` so every worker sees them (docs/security.md says why):

- per source address: failed sign-ins of any name; past the limit the source is
  refused before any password hash is computed, and noted once a minute, not per try
  (end users' sign-ins have a per-source count of their own, `ENDUSER`);
- per account and source: five failures lock that account *from that source*;
- per account: many failures from anywhere lock the account, except from addresses it
  signed in from successfully lately (the agent's own desk keeps working).

The caller holds the agent's row lock, so the per-account counts are exact.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.audit import Actor
from supportdesk.service.audit import entries as audit
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.store import agents, ratelimit
from supportdesk.service.store.ratelimit import Limit

LOCAL_SOURCE = "local"
"""The source of a sign-in that did not come over the network (the embedded desk, tests)."""

MINUTE = timedelta(minutes=1)

STAFF = "signin-source"
ENDUSER = "enduser-source"
"""Which sign-in a source's failures count against: staff's and end users' are kept apart,
so customers guessing from an address do not throttle a desk behind it, nor the reverse."""


def source_bucket(source: str, kind: str = STAFF) -> str:
    return f"{kind}:{source}"


def source_limit(settings: ServiceSettings, kind: str = STAFF) -> Limit:
    per_min = (
        settings.enduser_source_failures_per_min
        if kind == ENDUSER
        else settings.source_failures_per_min
    )
    return Limit(per_min, MINUTE, "failed sign-ins a minute")


async def source_wait(
    conn: AsyncConnection, settings: ServiceSettings, source: str, now: datetime, kind: str = STAFF
) -> int:
    """Seconds this source stays throttled (0: not throttled)."""
    return await ratelimit.wait_s(
        conn, source_bucket(source, kind), now, [source_limit(settings, kind)]
    )


async def count_source_failure(
    conn: AsyncConnection, source: str, now: datetime, kind: str = STAFF
) -> int:
    return await ratelimit.hit(conn, source_bucket(source, kind), now, MINUTE)


async def failures_to_note(
    conn: AsyncConnection, source: str, now: datetime, kind: str = STAFF
) -> int | None:
    """For a throttled source's refusal: its failures in the last minute when this is the
    first refusal of the minute (to be noted in the log), else None (left unlogged)."""
    noted = await ratelimit.take(
        conn, f"{kind}-noted:{source}", now, [Limit(1, MINUTE, "one note a minute")]
    )
    if noted is not None:
        return None
    return await ratelimit.count(conn, source_bucket(source, kind), now - MINUTE)


async def throttled_entry(
    conn: AsyncConnection, username: str, source: str, now: datetime, wait: int
) -> audit.Entry | None:
    """The audit entry for a throttled source: the first refusal of each minute, else none."""
    failures = await failures_to_note(conn, source, now)
    if failures is None:
        return None
    return audit.agent_signin(
        Actor(name=username[:64], role="unknown"),
        "refused",
        why="too many failed sign-ins from this address; more in the next minute go unlogged",
        source=source,
        failures_last_minute=failures,
        retry_after_s=wait,
    )


def _pair(kind: str, agent_id: int, source: str) -> str:
    return f"signin-{kind}:{agent_id}:{source}"


async def _known(
    conn: AsyncConnection, settings: ServiceSettings, agent_id: int, source: str, now: datetime
) -> bool:
    since = now - timedelta(days=settings.known_source_days)
    return await ratelimit.count(conn, _pair("known", agent_id, source), since) > 0


async def locked_for(
    conn: AsyncConnection, settings: ServiceSettings, row: Any, source: str, now: datetime
) -> int:
    """Seconds this account stays locked for this source (0: not locked)."""
    lockout = timedelta(seconds=settings.lockout_s)
    wait = await ratelimit.wait_s(
        conn, _pair("lock", row.id, source), now, [Limit(1, lockout, "locked")]
    )
    account_locked = row.locked_until is not None and row.locked_until > now
    if account_locked and not await _known(conn, settings, row.id, source, now):
        wait = max(wait, int((row.locked_until - now).total_seconds()) + 1)
    return wait


async def count_failure(
    conn: AsyncConnection,
    settings: ServiceSettings,
    row: Any,
    source: str,
    now: datetime,
    *,
    wrong_password: bool,
) -> tuple[int, bool]:
    """Count a failed sign-in; (failures from this source, whether it now locks)."""
    lockout = timedelta(seconds=settings.lockout_s)
    if wrong_password:
        await count_source_failure(conn, source, now)
    failures = await ratelimit.hit(conn, _pair("fail", row.id, source), now, lockout)
    overall = await ratelimit.hit(conn, f"signin-fail:{row.id}", now, lockout)
    locked = failures >= settings.lockout_attempts
    if locked:
        await ratelimit.clear(conn, _pair("fail", row.id, source))
        await ratelimit.hit(conn, _pair("lock", row.id, source), now, lockout)
    account_locked = overall >= settings.account_lockout_attempts
    if account_locked:
        await ratelimit.clear(conn, f"signin-fail:{row.id}")
    await agents.record_failure(
        conn,
        row.id,
        failures=0 if account_locked else overall,
        locked_until=now + lockout if account_locked else row.locked_until,
    )
    return failures, locked or (
        account_locked and not await _known(conn, settings, row.id, source, now)
    )


async def forgive(
    conn: AsyncConnection, settings: ServiceSettings, agent_id: int, source: str, now: datetime
) -> None:
    """A success: this source's failures are forgotten and it becomes a known source."""
    await ratelimit.clear(conn, _pair("fail", agent_id, source))
    await ratelimit.clear(conn, _pair("known", agent_id, source))
    await ratelimit.hit(
        conn, _pair("known", agent_id, source), now, timedelta(days=settings.known_source_days)
    )
