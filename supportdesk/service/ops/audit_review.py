"""The review queue: resets that deserve a team lead's second look.

A reset hands an account to whoever answers the next sign-in, so the queue
looks at resets from four sides: an agent doing far more than usual, resets
done outside working hours, a user reset again within days, and the account
signing in from a device or country it never used soon after a reset. Every
item names the audit entries (seq numbers) that show it.

The heuristics are plain functions over small records, so they are tested
without a database. They are the specification: the service runs the same rules in
SQL a page at a time (`ops.review_queue`, `store.audit_review`) and builds each item
with the same `*_item` functions; tests hold both to the same items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from supportdesk.api.audit import ReviewItem

SPIKE_LOOKBACK_DAYS = 28
SPIKE_WORKING_DAYS = 20
"""An agent's usual pace: resets per working day over the four weeks before the day."""
SPIKE_FACTOR = 3
SPIKE_MIN = 5
"""A day is a spike at three times the usual pace and never below five resets."""

WORK_START = time(8, 0)
WORK_END = time(18, 0)
"""Working hours, Monday to Friday, in the lead's zone."""

REPEAT_WITHIN = timedelta(days=7)
SIGNIN_WITHIN = timedelta(hours=72)
MAX_SEQS = 50
"""An item links at most this many entries (the first ones); its title gives the count."""


@dataclass(frozen=True)
class Reset:
    seq: int
    at: datetime
    agent: str
    user: str | None
    action: str


@dataclass(frozen=True)
class SignIn:
    user: str
    at: datetime
    device_id: str
    device_name: str
    city: str
    country: str


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _day(day: date) -> str:
    return day.strftime("%a %d %b")


def _moment(at: datetime, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%a %d %b %H:%M")


def reset_spikes(
    resets: Sequence[Reset],
    since: datetime,
    zone: tzinfo,
    per_day_counts: Mapping[tuple[str, date], int] | None = None,
) -> list[ReviewItem]:
    """Days on or after `since` when an agent reset far more than their own usual pace.

    The usual comes from `per_day_counts` (resets per agent per local day, counted by
    the store) when given; otherwise `resets` should reach back SPIKE_LOOKBACK_DAYS
    before `since`.
    """
    per_day: dict[tuple[str, date], list[Reset]] = defaultdict(list)
    for reset in resets:
        per_day[(reset.agent, reset.at.astimezone(zone).date())].append(reset)
    first_day = since.astimezone(zone).date()

    def count(agent: str, day: date) -> int:
        if per_day_counts is not None:
            return per_day_counts.get((agent, day), 0)
        return len(per_day.get((agent, day), ()))

    items: list[ReviewItem] = []
    for (agent, day), done in per_day.items():
        if day < first_day:
            continue
        before = sum(
            count(agent, day - timedelta(days=back)) for back in range(1, SPIKE_LOOKBACK_DAYS + 1)
        )
        usual = before / SPIKE_WORKING_DAYS
        if len(done) < max(SPIKE_MIN, SPIKE_FACTOR * usual):
            continue
        items.append(spike_item(agent, day, len(done), before, done[-1].at, [r.seq for r in done]))
    return items


def spike_item(
    agent: str, day: date, count: int, before: int, at: datetime, seqs: Sequence[int]
) -> ReviewItem:
    """An agent's busy day: `count` resets against `before` in the lookback days."""
    usual = before / SPIKE_WORKING_DAYS
    pace = (
        f"about {usual:.1f} a working day" if before else "none at all"
    ) + f" in the {SPIKE_LOOKBACK_DAYS} days before"
    return ReviewItem(
        kind="reset_spike",
        title=f"{agent}: {_plural(count, 'reset')} on {_day(day)}",
        detail=f"Far more than usual for {agent}: {pace}.",
        agent=agent,
        user=None,
        at=at,
        seqs=list(seqs[:MAX_SEQS]),
    )


def outside_working_hours(at: datetime, zone: tzinfo) -> bool:
    local = at.astimezone(zone)
    return local.weekday() >= 5 or not (WORK_START <= local.time() < WORK_END)


def after_hours(resets: Iterable[Reset], zone: tzinfo) -> list[ReviewItem]:
    """Resets done at night or at the weekend, one item per agent per day."""
    per_day: dict[tuple[str, date], list[Reset]] = defaultdict(list)
    for reset in resets:
        if outside_working_hours(reset.at, zone):
            per_day[(reset.agent, reset.at.astimezone(zone).date())].append(reset)
    return [
        after_hours_item(agent, day, done, len(done), done[-1].at, zone)
        for (agent, day), done in per_day.items()
    ]


def after_hours_item(
    agent: str, day: date, first: Sequence[Reset], count: int, at: datetime, zone: tzinfo
) -> ReviewItem:
    """An agent's resets outside working hours on a day: `first` are the first of them
    (at least six and MAX_SEQS when there are), `count` all of them, `at` the last's time."""
    times = ", ".join(f"{r.at.astimezone(zone):%H:%M} {r.user or '(no user)'}" for r in first[:6])
    more = f" and {count - 6} more" if count > 6 else ""
    return ReviewItem(
        kind="after_hours",
        title=f"{agent}: {_plural(count, 'reset')} outside working hours, {_day(day)}",
        detail=f"At {times}{more}. Working hours are {WORK_START:%H:%M}–"
        f"{WORK_END:%H:%M}, Monday to Friday.",
        agent=agent,
        user=None,
        at=at,
        seqs=[r.seq for r in first[:MAX_SEQS]],
    )


def repeat_resets(resets: Sequence[Reset], since: datetime, zone: tzinfo) -> list[ReviewItem]:
    """A user reset again within REPEAT_WITHIN of the previous reset (ending on/after since)."""
    per_user: dict[str, list[Reset]] = defaultdict(list)
    for reset in sorted(resets, key=lambda r: (r.at, r.seq)):
        if reset.user:
            per_user[reset.user].append(reset)
    items = []
    for user, done in per_user.items():
        run: list[Reset] = []
        for following in [*done, None]:
            if following is not None and run and following.at - run[-1].at <= REPEAT_WITHIN:
                run.append(following)
                continue
            if len(run) >= 2 and run[-1].at >= since:
                items.append(repeat_item(user, run, len(run), run[-1], zone))
            run = [following] if following is not None else []
    return items


def repeat_item(
    user: str, first: Sequence[Reset], count: int, last: Reset, zone: tzinfo
) -> ReviewItem:
    """A run of `count` resets of one user, each within REPEAT_WITHIN of the one before:
    `first` are the first of them (MAX_SEQS when there are), `last` the last."""
    span = last.at - first[0].at
    span_text = (
        _plural(span.days, "day")
        if span >= timedelta(days=1)
        else _plural(max(1, int(span.total_seconds() // 3600)), "hour")
    )
    who = ", then ".join(f"{r.agent} ({_moment(r.at, zone)})" for r in first[:6])
    return ReviewItem(
        kind="repeat_reset",
        title=f"{user}: reset {count} times within {span_text}",
        detail=f"By {who}. A user who keeps losing access may not be the one asking.",
        agent=last.agent,
        user=user,
        at=last.at,
        seqs=[r.seq for r in first[:MAX_SEQS]],
    )


def new_device_after_reset(
    resets: Iterable[Reset], signins: Sequence[SignIn], zone: tzinfo
) -> list[ReviewItem]:
    """The first sign-in within SIGNIN_WITHIN of a reset from a device or country the user
    never signed in from before the reset (users with no earlier sign-ins are not judged)."""
    per_user: dict[str, list[SignIn]] = defaultdict(list)
    for signin in sorted(signins, key=lambda s: s.at):
        per_user[signin.user].append(signin)
    items = []
    for reset in resets:
        if not reset.user:
            continue
        history = per_user.get(reset.user, [])
        earlier = [s for s in history if s.at <= reset.at]
        if not earlier:
            continue
        devices = {s.device_id for s in earlier}
        countries = {s.country for s in earlier}
        for signin in history:
            if not reset.at < signin.at <= reset.at + SIGNIN_WITHIN:
                continue
            new = [
                word
                for word, is_new in (
                    ("device", signin.device_id not in devices),
                    ("country", signin.country not in countries),
                )
                if is_new
            ]
            if not new:
                continue
            hours = max(1, round((signin.at - reset.at).total_seconds() / 3600))
            items.append(
                ReviewItem(
                    kind="new_device_after_reset",
                    title=f"{reset.user}: sign-in from a new {' and '.join(new)} "
                    f"{_plural(hours, 'hour')} after a reset",
                    detail=f"{signin.device_name} in {signin.city}, {signin.country} at "
                    f"{_moment(signin.at, zone)}; the reset was by {reset.agent} at "
                    f"{_moment(reset.at, zone)}.",
                    agent=reset.agent,
                    user=reset.user,
                    at=signin.at,
                    seqs=[reset.seq],
                )
            )
            break
    return items
