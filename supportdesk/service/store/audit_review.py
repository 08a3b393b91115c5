"""The review queue's heuristics in SQL (issue 13): one page of items at a time.

Resets done (a "reset" action that succeeded) are read from their own partial index
(`ix_audit_resets`) and never leave the database in bulk: each one's day and time of
day in the lead's zone, the agents' days, the users' runs of repeat resets and the
usual pace (the hourly counts, plus the log itself for the partial hours at the
edges) are worked out with aggregates and window functions, and only the page's items
come back, each with its first MAX_MEMBERS resets (what an item names and links).

Times are compared as integer microseconds since the epoch on both stores; the lead's
zone is handed over as its offsets between transitions (see `ops.review_queue`), so
SQLite needs no time zone support and both stores agree with Python's `zoneinfo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import UTCDateTime

RESET_DONE = "action LIKE '%reset%' AND outcome = 'success'"
"""The predicate of the partial index, spelled as a constant: both planners only use a
partial index when the query repeats its predicate (a bound parameter would not do)."""

KIND_SPIKE, KIND_AFTER_HOURS, KIND_REPEAT = 0, 1, 2
"""Item kinds in their order among items of the same moment."""


@dataclass(frozen=True)
class Rules:
    """The heuristics' numbers (the ops module's constants), spelled into the SQL."""

    work_start_s: int
    work_end_s: int
    repeat_within_us: int
    lookback_days: int
    working_days: int
    factor: int
    spike_min: int
    max_members: int


@dataclass(frozen=True)
class Window:
    """What one page reads: resets in [lookback, h0) and [h1, scan_to) from the log, the
    hourly counts in [h0, h1); repeats reach back to `first`, items end on/after `since`
    and before `until`."""

    lookback: datetime
    scan_to: datetime
    lo_us: int
    """Items of this moment (microseconds) or later only: the rows read are those that
    can make or unmake such an item (see `ops.review_queue.window_for`)."""
    h0: datetime
    h1: datetime
    first: datetime
    since: datetime
    until: datetime
    first_day: int
    """The local day number (days since 1970-01-01 in the lead's zone) of `since`."""
    offsets: Sequence[tuple[int | None, int]]
    """(until this UTC second, offset in seconds) pieces; the last one's bound is None."""


@dataclass(frozen=True)
class Cursor:
    us: int
    kind: int
    anchor: int


def _us(dialect: str, column: str) -> str:
    """A time as integer microseconds since the epoch."""
    if dialect == "postgresql":
        # Whole seconds and the microseconds apart, in double precision (exact at these
        # sizes; extract() answers in numeric, several times slower).
        return (
            f"(CAST(date_part('epoch', date_trunc('second', {column})) AS BIGINT) * 1000000 "
            f"+ CAST(date_part('microseconds', {column}) AS BIGINT) % 1000000)"
        )
    # julianday of the whole seconds is exact once rounded (strftime('%s') costs ten times
    # as much); the microseconds are the text's own digits.
    return (
        f"(CAST(round((julianday(substr({column}, 1, 19)) - 2440587.5) * 86400) AS INTEGER) "
        f"* 1000000 + CAST(substr({column} || '.000000', 21, 6) AS INTEGER))"
    )


def _local_seconds(us: str, offsets: Sequence[tuple[int | None, int]]) -> str:
    """Seconds since the local epoch: UTC seconds plus the zone's offset at that moment."""
    seconds = f"({us} / 1000000)"
    pieces = [f"WHEN {seconds} < {int(bound)} THEN {int(off)}" for bound, off in offsets if bound]
    last = int(offsets[-1][1])
    offset = f"CASE {' '.join(pieces)} ELSE {last} END" if pieces else str(last)
    return f"({seconds} + {offset})"


def page_sql(
    dialect: str, offsets: Sequence[tuple[int | None, int]], rules: Rules, keyset: bool
) -> str:
    """One statement for a page: the page's items, one row per reset each links."""
    k = rules
    us = _us(dialect, "at")
    local = _local_seconds("us", offsets)
    hour_local = _local_seconds(_us(dialect, "hour"), offsets)
    after = (
        "AND (us < :c_us OR (us = :c_us AND kind > :c_kind) "
        "OR (us = :c_us AND kind = :c_kind AND anchor < :c_anchor))"
        if keyset
        else ""
    )
    return f"""
WITH raw AS (
  SELECT seq, at, actor, target_user, {us} AS us FROM audit_log
  WHERE {RESET_DONE} AND at >= :lookback AND at < :h0
  UNION ALL
  SELECT seq, at, actor, target_user, {us} AS us FROM audit_log
  WHERE {RESET_DONE} AND at >= :h1 AND at < :scan_to
),
loc AS MATERIALIZED (SELECT seq, at, actor, target_user, us, {local} AS ls FROM raw),
r AS MATERIALIZED (
  SELECT seq, at, actor, target_user, us, ls / 86400 AS day,
    CASE WHEN (ls / 86400 + 3) % 7 >= 5 OR ls % 86400 < {k.work_start_s}
      OR ls % 86400 >= {k.work_end_s} THEN 1 ELSE 0 END AS outside
  FROM loc
),
counts AS (
  SELECT actor, day, sum(n) AS n FROM (
    SELECT actor, {hour_local} / 86400 AS day, resets AS n FROM audit_hourly
    WHERE hour >= :h0 AND hour < :h1 AND resets > 0
    UNION ALL
    SELECT actor, day, 1 AS n FROM r
  ) AS c0 GROUP BY actor, day
),
done AS (
  SELECT actor, day, count(*) AS n, max(seq) AS last_seq FROM r
  WHERE at >= :first AND day >= :first_day GROUP BY actor, day HAVING count(*) >= {k.spike_min}
),
spikes AS (
  SELECT d.actor, d.day, d.n, d.last_seq, coalesce(sum(c.n), 0) AS b FROM done AS d
  LEFT JOIN counts AS c ON c.actor = d.actor AND c.day >= d.day - {k.lookback_days}
    AND c.day < d.day
  GROUP BY d.actor, d.day, d.n, d.last_seq
  HAVING {k.working_days} * d.n >= {k.factor} * coalesce(sum(c.n), 0)
),
ah AS (
  SELECT actor, day, count(*) AS n, max(seq) AS last_seq FROM r
  WHERE at >= :since AND outside = 1 GROUP BY actor, day
),
ru AS MATERIALIZED (
  SELECT seq, at, actor, target_user, us,
    CASE WHEN lag(us) OVER w IS NULL OR us - lag(us) OVER w > {k.repeat_within_us}
      THEN 1 ELSE 0 END AS starts,
    CASE WHEN lead(us) OVER w IS NULL OR lead(us) OVER w - us > {k.repeat_within_us}
      THEN 1 ELSE 0 END AS ends
  FROM r WHERE at >= :first AND target_user IS NOT NULL AND target_user <> ''
  WINDOW w AS (PARTITION BY target_user ORDER BY us, seq)
),
heads AS (
  SELECT {KIND_SPIKE} AS kind, s.last_seq AS anchor, x.us, s.actor, NULL AS target_user,
    s.day, s.n, s.b
  FROM spikes AS s JOIN r AS x ON x.seq = s.last_seq
  UNION ALL
  SELECT {KIND_AFTER_HOURS}, a.last_seq, x.us, a.actor, NULL, a.day, a.n, 0
  FROM ah AS a JOIN r AS x ON x.seq = a.last_seq
  UNION ALL
  SELECT {KIND_REPEAT}, seq, us, actor, target_user, 0, 0, 0 FROM ru
  WHERE ends = 1 AND starts = 0 AND at >= :since
),
page AS (
  SELECT kind, anchor, us, actor, target_user, day, n, b FROM heads WHERE us >= :lo_us {after}
  ORDER BY us DESC, kind, anchor DESC LIMIT :limit
),
ur AS (
  SELECT x.seq, x.at, x.actor, x.target_user, {_us(dialect, "x.at")} AS us
  FROM (SELECT DISTINCT target_user FROM page WHERE kind = {KIND_REPEAT}) AS u
  JOIN audit_log AS x ON x.target_user = u.target_user
  WHERE x.action LIKE '%reset%' AND x.outcome = 'success' AND x.at >= :first
    AND x.at < :until
),
urs AS MATERIALIZED (
  SELECT seq, at, actor, target_user, us,
    CASE WHEN lag(us) OVER w IS NULL OR us - lag(us) OVER w > {k.repeat_within_us}
      THEN 1 ELSE 0 END AS starts
  FROM ur WINDOW w AS (PARTITION BY target_user ORDER BY us, seq)
),
members AS (
  SELECT p.kind, p.anchor, x.seq, x.at, x.actor, x.target_user,
    row_number() OVER (PARTITION BY p.kind, p.anchor ORDER BY x.seq) AS rn
  FROM page AS p JOIN r AS x ON x.actor = p.actor AND x.day = p.day
  WHERE p.kind = {KIND_SPIKE}
  UNION ALL
  SELECT p.kind, p.anchor, x.seq, x.at, x.actor, x.target_user,
    row_number() OVER (PARTITION BY p.kind, p.anchor ORDER BY x.seq) AS rn
  FROM page AS p JOIN r AS x ON x.actor = p.actor AND x.day = p.day
  WHERE p.kind = {KIND_AFTER_HOURS} AND x.outside = 1 AND x.at >= :since
  UNION ALL
  SELECT q.kind, q.anchor, x.seq, x.at, x.actor, x.target_user,
    row_number() OVER (PARTITION BY q.kind, q.anchor ORDER BY x.us, x.seq) AS rn
  FROM (
    SELECT p.kind, p.anchor, p.us, p.target_user, (
      SELECT max(o.us) FROM urs AS o
      WHERE o.target_user = p.target_user AND o.starts = 1 AND o.us <= p.us
    ) AS from_us
    FROM page AS p WHERE p.kind = {KIND_REPEAT}
  ) AS q JOIN urs AS x ON x.target_user = q.target_user AND x.us >= q.from_us AND x.us <= q.us
),
counted AS (SELECT kind, anchor, count(*) AS n FROM members GROUP BY kind, anchor)
SELECT p.kind, p.anchor, p.us, p.actor AS head_actor, p.target_user AS head_user, p.day,
  CASE WHEN p.kind = {KIND_REPEAT} THEN c.n ELSE p.n END AS n, p.b,
  m.seq, m.at, m.actor, m.target_user, m.rn
FROM page AS p JOIN members AS m ON m.kind = p.kind AND m.anchor = p.anchor
JOIN counted AS c ON c.kind = p.kind AND c.anchor = p.anchor
WHERE m.rn <= {k.max_members}
ORDER BY p.us DESC, p.kind, p.anchor DESC, m.rn
"""


async def review_rows(
    conn: AsyncConnection, window: Window, rules: Rules, cursor: Cursor | None, limit: int
) -> list[Any]:
    """The next `limit` items after `cursor` (newest first), one row per linked reset:
    (kind, anchor, us, head_actor, head_user, day, n, b, seq, at, actor, target_user, rn)."""
    sql = page_sql(conn.dialect.name, window.offsets, rules, cursor is not None)
    stmt = text(sql).bindparams(
        *(
            bindparam(name, type_=UTCDateTime())
            for name in ("lookback", "scan_to", "h0", "h1", "first", "since", "until")
        ),
    )
    params: dict[str, Any] = {
        "lookback": window.lookback,
        "scan_to": window.scan_to,
        "lo_us": window.lo_us,
        "h0": window.h0,
        "h1": window.h1,
        "first": window.first,
        "since": window.since,
        "until": window.until,
        "first_day": window.first_day,
        "limit": limit,
    }
    if cursor is not None:
        params.update(c_us=cursor.us, c_kind=cursor.kind, c_anchor=cursor.anchor)
    typed = stmt.columns(at=UTCDateTime())
    return list(await conn.execute(typed, params))


async def resets_done_between(conn: AsyncConnection, since: datetime, until: datetime) -> list[Any]:
    """(seq, at, actor, target_user) of the resets done in [since, until), oldest first,
    from the partial index alone."""
    stmt = text(
        "SELECT seq, at, actor, target_user FROM audit_log "
        f"WHERE {RESET_DONE} AND at >= :since AND at < :until ORDER BY at, seq"
    ).bindparams(bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()))
    typed = stmt.columns(at=UTCDateTime())
    return list(await conn.execute(typed, {"since": since, "until": until}))
