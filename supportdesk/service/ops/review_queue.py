"""The review queue a page at a time: the heuristics of `ops.audit_review`, run in SQL.

The store works out reset spikes, resets after hours and repeat resets for the whole
range and hands back one page of items (`store.audit_review`); only a new device soon
after a reset needs the identity provider's sign-ins, and those are asked for the
resets that can reach the page's moments alone (its span and the SIGNIN_WITHIN before
it). Items are newest first; among items of the same moment, spikes, then after hours,
repeats and new devices; then the newest entry first. A cursor names the last item of
a page, so every item comes once, in that order, for the same range.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from supportdesk.api.audit import ReviewItem
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput
from supportdesk.service.ops.audit_review import (
    MAX_SEQS,
    REPEAT_WITHIN,
    SIGNIN_WITHIN,
    SPIKE_FACTOR,
    SPIKE_LOOKBACK_DAYS,
    SPIKE_MIN,
    SPIKE_WORKING_DAYS,
    WORK_END,
    WORK_START,
    Reset,
    SignIn,
    after_hours_item,
    new_device_after_reset,
    repeat_item,
    spike_item,
)
from supportdesk.service.provider import Capability
from supportdesk.service.store.audit_review import (
    KIND_AFTER_HOURS,
    KIND_SPIKE,
    Cursor,
    Rules,
    Window,
    resets_done_between,
    review_rows,
)
from supportdesk.service.store.engine import reading

KIND_NEW_DEVICE = 3
KINDS = {
    KIND_SPIKE: "reset_spike",
    KIND_AFTER_HOURS: "after_hours",
    2: "repeat_reset",
    KIND_NEW_DEVICE: "new_device_after_reset",
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = date(1970, 1, 1)
MICRO = timedelta(microseconds=1)

RULES = Rules(
    work_start_s=WORK_START.hour * 3600 + WORK_START.minute * 60,
    work_end_s=WORK_END.hour * 3600 + WORK_END.minute * 60,
    repeat_within_us=REPEAT_WITHIN // MICRO,
    lookback_days=SPIKE_LOOKBACK_DAYS,
    working_days=SPIKE_WORKING_DAYS,
    factor=SPIKE_FACTOR,
    spike_min=SPIKE_MIN,
    max_members=MAX_SEQS,
)


def _us(at: datetime) -> int:
    return (at - EPOCH) // MICRO


def _at(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def zone_offsets(zone: tzinfo, start: datetime, end: datetime) -> list[tuple[int | None, int]]:
    """The zone's UTC offset (seconds) over [start, end] as pieces: (until this UTC
    second, offset), the last piece open-ended. Transitions are found hour by hour and
    pinned to the second."""

    def offset(second: int) -> int:
        found = datetime.fromtimestamp(second, UTC).astimezone(zone).utcoffset()
        return int(found.total_seconds()) if found is not None else 0

    moment = int(start.timestamp()) - 86400
    last = int(end.timestamp()) + 86400
    current = offset(moment)
    pieces: list[tuple[int | None, int]] = []
    while moment < last:
        step = min(moment + 3600, last)
        now = offset(step)
        if now != current:
            low, high = moment, step
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            pieces.append((high, current))
            current = now
        moment = step
    pieces.append((None, current))
    return pieces


def _hour_floor(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def window_for(
    since: datetime, until: datetime, zone: tzinfo, low: datetime, cursor: datetime | None
) -> Window:
    """What the store reads for the items of [since, until) at `low` or later (and before
    `cursor`): an item's resets are on its day (spikes, after hours) or chained a week at
    a time (repeats, whose whole runs the store reads per user), so the log is read from
    a week before `low` to a week and a day after the cursor; the usual pace of those days
    from the hourly counts where every UTC hour falls in one local day (whole-hour offsets
    and transitions), the log itself for the partial hours at the ends."""
    first = since - REPEAT_WITHIN
    scan_from = max(first, low - REPEAT_WITHIN)
    scan_to = until if cursor is None else min(until, cursor + REPEAT_WITHIN + timedelta(days=1))
    lookback = max(since - timedelta(days=SPIKE_LOOKBACK_DAYS), low - timedelta(days=30))
    offsets = zone_offsets(zone, lookback, scan_to)
    whole = all(off % 3600 == 0 and (b is None or b % 3600 == 0) for b, off in offsets)
    if whole:
        h0 = _hour_floor(lookback)
        h0 = h0 if h0 == lookback else h0 + timedelta(hours=1)
        h1 = _hour_floor(scan_from)
    else:
        h0 = h1 = lookback
    return Window(
        lookback=lookback,
        scan_to=scan_to,
        lo_us=_us(low),
        h0=h0,
        h1=h1,
        first=first,
        since=since,
        until=until,
        first_day=(since.astimezone(zone).date() - EPOCH_DAY).days,
        offsets=offsets,
    )


def _key(us: int, kind: int, anchor: int) -> tuple[int, int, int]:
    """Sort key of the queue's order: newest first, then kind, then the newest entry."""
    return (-us, kind, -anchor)


def encode_cursor(item: tuple[int, int, int]) -> str:
    us, kind, anchor = -item[0], item[1], -item[2]
    return f"{us}.{kind}.{anchor}"


def decode_cursor(text: str) -> Cursor:
    parts = text.split(".")
    try:
        us, kind, anchor = (int(p) for p in parts)
    except ValueError:
        raise InvalidInput("not a cursor this queue gave out", field="cursor") from None
    if kind not in KINDS or not 0 <= us < 2**62 or not 0 <= anchor < 2**62:
        raise InvalidInput("not a cursor this queue gave out", field="cursor")
    return Cursor(us=us, kind=kind, anchor=anchor)


def _sql_items(rows: list[Any], zone: tzinfo) -> list[tuple[tuple[int, int, int], ReviewItem]]:
    """Items from the store's rows: one row per linked reset, grouped by item."""
    groups: dict[tuple[int, int], list[Any]] = {}
    for row in rows:
        groups.setdefault((row.kind, row.anchor), []).append(row)
    found = []
    for (kind, anchor), members in groups.items():
        head = members[0]
        first = [
            Reset(seq=int(m.seq), at=m.at, agent=str(m.actor), user=m.target_user, action="reset")
            for m in members
        ]
        at = _at(int(head.us))
        agent, count = str(head.head_actor), int(head.n)
        day = EPOCH_DAY + timedelta(days=int(head.day))
        if kind == KIND_SPIKE:
            before = int(head.b)
            item = spike_item(agent, day, count, before, at, [r.seq for r in first])
        elif kind == KIND_AFTER_HOURS:
            item = after_hours_item(agent, day, first, count, at, zone)
        else:
            user = str(head.head_user)
            last = Reset(seq=int(anchor), at=at, agent=agent, user=user, action="reset")
            item = repeat_item(user, first, count, last, zone)
        found.append((_key(int(head.us), int(kind), int(anchor)), item))
    return found


async def review_page(
    ctx: ServiceContext,
    *,
    since: datetime,
    until: datetime,
    zone: tzinfo,
    cursor: str | None,
    limit: int,
) -> tuple[list[ReviewItem], str | None]:
    """One page of the items for resets in [since, until), and the cursor of the next
    (None on the last page). A provider that keeps no sign-in history gets every item
    but "a new device soon after a reset"."""
    after = decode_cursor(cursor) if cursor is not None else None
    after_key = _key(after.us, after.kind, after.anchor) if after is not None else None
    cursor_at = _at(after.us) if after is not None else None
    span = timedelta(days=1)
    async with reading(ctx.engine) as conn:
        while True:  # a day's items first, then four times as far back until the page fills
            low = max(since, (cursor_at or until) - span)
            window = window_for(since, until, zone, low, cursor_at)
            rows = await review_rows(conn, window, RULES, after, limit + 1)
            found = _sql_items(rows, zone)
            if len(found) > limit or low <= since:
                break
            span *= 4
        keys = [key for key, _ in found]
        # Items of any kind down to `low` belong before the SQL's (limit+1)-th item.
        low = _at(-keys[-1][0]) if len(found) > limit else since
        if ctx.provider.capabilities.get(Capability.SIGN_IN_HISTORY, "") is None:
            high = min(until, _at(after.us)) if after is not None else until
            start = max(since, low - SIGNIN_WITHIN)
            recent = [
                Reset(seq=r.seq, at=r.at, agent=r.actor, user=r.target_user, action="reset")
                for r in await resets_done_between(conn, start, high)
            ]
            users = {r.user for r in recent if r.user}
            signins = [
                SignIn(
                    user=user,
                    at=s.at,
                    device_id=s.device_id,
                    device_name=s.device_name,
                    city=s.city,
                    country=s.country,
                )
                for user, s in await ctx.provider.sign_ins_of(
                    conn, users, until=until + SIGNIN_WITHIN
                )
            ]
            for item in new_device_after_reset(recent, signins, zone):
                key = _key(_us(item.at), KIND_NEW_DEVICE, item.seqs[0])
                if item.at >= low and (after_key is None or key > after_key):
                    found.append((key, item))
    found.sort(key=lambda pair: pair[0])
    page = found[:limit]
    next_cursor = encode_cursor(page[-1][0]) if len(found) > limit else None
    return [item for _, item in page], next_cursor
