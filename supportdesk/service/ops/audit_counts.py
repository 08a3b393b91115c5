"""What a lead charts and reviews: actions per agent per day, and the review queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportdesk.api.audit import AgentDayCount, AuditCounts, AuditFilter, ReviewQueue
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput
from supportdesk.service.ops.review_queue import review_page
from supportdesk.service.store import audit_hourly, audit_log
from supportdesk.service.store.engine import reading

MAX_CHART_DAYS = 92
"""A quarter: the longest range the chart and the review queue take at once."""


def zone_of(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone '{name}'", field="zone") from exc


def local_days(since: datetime, until: datetime, zone: tzinfo) -> list[date]:
    """The lead's calendar days that [since, until) touches."""
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


async def agent_day_counts(
    ctx: ServiceContext, filters: AuditFilter, zone_name: str
) -> AuditCounts:
    """Counted in the database, a day at a time in the lead's zone (DST included).

    Each row falls in a day by comparing its time with that day's local
    midnights, so the counts are exact in any zone on both backends. The default
    range is the last 14 days.
    """
    zone = zone_of(zone_name)
    now = ctx.clock.now()
    until = filters.until or _midnight(now.astimezone(zone).date() + timedelta(days=1), zone)
    last_day = (until - timedelta(microseconds=1)).astimezone(zone).date()
    since = filters.since or _midnight(last_day - timedelta(days=13), zone)
    if until <= since:
        raise InvalidInput("the time range ends before it starts", field="until")
    # Refuse a long range before listing its days: ten thousand years are 3.6 million.
    too_long = until - since > timedelta(days=MAX_CHART_DAYS + 2)
    days = [] if too_long else local_days(since, until, zone)
    if too_long or len(days) > MAX_CHART_DAYS:
        raise InvalidInput(
            f"the chart covers at most {MAX_CHART_DAYS} days: narrow the range", field="since"
        )
    bounds = [_midnight(day + timedelta(days=1), zone) for day in days[:-1]]
    async with reading(ctx.engine) as conn:
        if _hourly_will_do(filters, [since, until, *bounds]):
            rows = await audit_hourly.hourly_day_counts(conn, since, until, filters.agent, bounds)
            follow_ups: dict[tuple[int, str], int] = {}
        else:
            ranged = replace(filters, since=since, until=until)
            rows = await audit_log.day_counts(conn, ranged, bounds)
            # Actions, as the hourly counts count them; unless the lead asks for follow-ups.
            named = filters.action in audit_hourly.FOLLOW_UPS
            follow_ups = (
                {} if named else await audit_hourly.follow_up_day_counts(conn, ranged, bounds)
            )
    cells = [
        AgentDayCount(
            day=days[int(row.bucket)],
            agent=str(row.actor),
            total=int(row.total) - follow_ups.get((int(row.bucket), str(row.actor)), 0),
            resets=int(row.resets or 0),
        )
        for row in rows
    ]
    cells = [c for c in cells if c.total]
    cells.sort(key=lambda c: (c.agent, c.day))
    return AuditCounts(
        zone=zone_name, days=days, agents=sorted({c.agent for c in cells}), cells=cells
    )


def _hourly_will_do(filters: AuditFilter, moments: list[datetime]) -> bool:
    """The hourly counts answer the chart when it is filtered by agent and time alone and
    every day starts on a whole UTC hour (every zone but a handful with half hours)."""
    if filters.user or filters.action or filters.outcome or filters.ticket:
        return False
    return all(m.astimezone(UTC).minute == m.second == m.microsecond == 0 for m in moments)


async def review(
    ctx: ServiceContext,
    *,
    since: datetime | None,
    until: datetime | None,
    zone_name: str,
    cursor: str | None = None,
    limit: int = 100,
) -> ReviewQueue:
    """What deserves a second look over the range (default: the last 30 days), a page
    at a time: `next_cursor`, with the same range, fetches the following page."""
    zone = zone_of(zone_name)
    until = until if until is not None else ctx.clock.now()
    since = since if since is not None else until - timedelta(days=30)
    if until <= since:
        raise InvalidInput("the time range ends before it starts", field="until")
    if until - since > timedelta(days=MAX_CHART_DAYS):
        raise InvalidInput(
            f"review at most {MAX_CHART_DAYS} days at once: narrow the range", field="since"
        )
    items, next_cursor = await review_page(
        ctx, since=since, until=until, zone=zone, cursor=cursor, limit=limit
    )
    return ReviewQueue(
        since=since, until=until, zone=zone_name, items=items, next_cursor=next_cursor
    )
