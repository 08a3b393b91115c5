"""Time ranges as a team lead types them: "yesterday", "last 7 days", "since Monday".

Pure: the caller passes `now` and the zone the lead thinks in, so "today"
means the lead's today and tests can pin both. Whole days are measured from
local midnight to local midnight, so a day across a clock change is 23 or 25
hours long, as it should be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

EXAMPLES = "'today', 'yesterday', 'last 7 days', '2026-11-01..2026-11-15' or 'since Monday'"

_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}

_UNITS = {
    "minute": "minutes",
    "minutes": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "hour": "hours",
    "hours": "hours",
    "h": "hours",
    "day": "days",
    "days": "days",
    "d": "days",
    "week": "weeks",
    "weeks": "weeks",
    "w": "weeks",
    "month": "months",
    "months": "months",
}

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fourteen": 14,
    "thirty": 30,
}

_LAST_N = re.compile(r"^(?:last|past)\s+(?:(\w+)\s+)?([a-z]+)$")
_AGO = re.compile(r"^(\w+)\s+([a-z]+)\s+ago$")
_OPEN_START = re.compile(r"^(since|from|after)\s+(.+)$")
_OPEN_END = re.compile(r"^(until|till|before)\s+(.+)$")
_SPAN = re.compile(r"^(.+?)\s*(?:\.\.|\s+to\s+|\s+until\s+|\s+[-–]\s+)\s*(.+)$")
_ROLLING = {"hour", "minute", "day"}
"""'last hour' is the hour back from now; 'last week' and 'last month' are calendar ones."""
_ALL = {"", "all", "all time", "any", "any time", "anytime", "everything", "ever"}


class TimeRangeError(ValueError):
    """The text is not a time range this desk can read; the message says why."""


@dataclass(frozen=True)
class TimeRange:
    """Half-open [since, until) in the lead's zone; None means unbounded on that side."""

    since: datetime | None
    until: datetime | None

    @property
    def unbounded(self) -> bool:
        return self.since is None and self.until is None

    def describe(self) -> str:
        """How the desk echoes what it understood, so a misread range is caught at once."""
        if self.since is None and self.until is None:
            return "all time"
        if self.until is None:
            return f"since {_show(self.since)}"
        if self.since is None:
            return f"before {_show(self.until)}"
        return f"{_show(self.since)} → {_show(self.until)}"


@dataclass(frozen=True)
class _Span:
    """What one expression names: a moment (start == end) or a stretch [start, end)."""

    start: datetime
    end: datetime

    @property
    def is_moment(self) -> bool:
        return self.start == self.end


def parse_time_range(text: str, now: datetime, zone: tzinfo) -> TimeRange:
    """Read a free-typed range relative to `now` (aware) in `zone`."""
    if now.tzinfo is None:
        raise ValueError("now must carry a zone")
    said = " ".join(text.strip().lower().split())
    local_now = now.astimezone(zone)
    if said in _ALL:
        return TimeRange(None, None)
    found = _LAST_N.match(said)
    if found and (
        said.startswith("past") or found.group(1) is not None or found.group(2) in _ROLLING
    ):
        return _last_n(found.group(1), found.group(2), local_now, zone, text)
    found = _SPAN.match(said)
    if found:
        opening = _OPEN_START.match(found.group(1))
        first = _point(opening.group(2) if opening else found.group(1), local_now, zone)
        last = _point(found.group(2), local_now, zone)
        return _checked(TimeRange(first.start, last.end), text)
    found = _OPEN_START.match(said)
    if found:
        return _checked(TimeRange(_point(found.group(2), local_now, zone).start, None), text)
    found = _OPEN_END.match(said)
    if found:
        point = _point(found.group(2), local_now, zone)
        until = point.start if found.group(1) == "before" else point.end
        return _checked(TimeRange(None, until), text)
    span = _point(said, local_now, zone)
    if span.is_moment:
        raise TimeRangeError(
            f"'{text.strip()}' is a moment, not a range: "
            f"write 'since {text.strip()}' or two ends joined by '..'"
        )
    return _checked(TimeRange(span.start, span.end), text)


def parse_moment(text: str, now: datetime, zone: tzinfo, *, end: bool = False) -> datetime:
    """One end of a range (a --since or --until option): a day's start, or its end if `end`."""
    span = _point(" ".join(text.strip().lower().split()), now.astimezone(zone), zone)
    return span.end if end else span.start


# -- the pieces ---------------------------------------------------------------


def _checked(found: TimeRange, text: str) -> TimeRange:
    if found.since is not None and found.until is not None and found.until <= found.since:
        raise TimeRangeError(
            f"'{text.strip()}' ends ({_show(found.until)}) before it starts ({_show(found.since)})"
        )
    return found


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _day_span(day: date, zone: tzinfo) -> _Span:
    return _Span(_midnight(day, zone), _midnight(day + timedelta(days=1), zone))


def _count(word: str | None, text: str) -> int:
    if word is None:
        return 1
    if word.isdigit():
        value = int(word)
    elif word in _NUMBER_WORDS:
        value = _NUMBER_WORDS[word]
    else:
        raise TimeRangeError(f"cannot read '{word}' in '{text.strip()}' as a number")
    if value < 1 or value > 3660:
        raise TimeRangeError(f"'{text.strip()}': the number must be between 1 and 3660")
    return value


def _unit(word: str, text: str) -> str:
    unit = _UNITS.get(word)
    if unit is None:
        raise TimeRangeError(
            f"cannot read '{word}' in '{text.strip()}': use minutes, hours, days, weeks or months"
        )
    return unit


def _last_n(
    number: str | None, unit_word: str, local_now: datetime, zone: tzinfo, text: str
) -> TimeRange:
    """Rolling ranges: hours and minutes back from now; days, weeks and months as whole days."""
    count = _count(number, text)
    unit = _unit(unit_word, text)
    today = local_now.date()
    if unit == "minutes":
        return TimeRange(local_now - timedelta(minutes=count), None)
    if unit == "hours":
        return TimeRange(local_now - timedelta(hours=count), None)
    if unit == "days":
        return TimeRange(_midnight(today - timedelta(days=count - 1), zone), None)
    if unit == "weeks":
        return TimeRange(_midnight(today - timedelta(days=7 * count - 1), zone), None)
    first = today - relativedelta(months=count) + timedelta(days=1)
    return TimeRange(_midnight(first, zone), None)


def _point(said: str, local_now: datetime, zone: tzinfo) -> _Span:
    """A single expression: a named day, week or month, a moment, or a typed date."""
    today = local_now.date()
    if said == "now":
        return _Span(local_now, local_now)
    if said == "today":
        return _day_span(today, zone)
    if said == "yesterday":
        return _day_span(today - timedelta(days=1), zone)
    if said in _WEEKDAYS or (said.startswith("last ") and said[5:] in _WEEKDAYS):
        name = said[5:] if said.startswith("last ") else said
        back = (today.weekday() - _WEEKDAYS[name]) % 7
        if said.startswith("last ") and back == 0:
            back = 7
        return _day_span(today - timedelta(days=back), zone)
    if said in {"this week", "last week"}:
        monday = today - timedelta(days=today.weekday())
        if said == "last week":
            monday -= timedelta(days=7)
        return _Span(_midnight(monday, zone), _midnight(monday + timedelta(days=7), zone))
    if said in {"this month", "last month"}:
        first = today.replace(day=1)
        if said == "last month":
            first -= relativedelta(months=1)
        return _Span(_midnight(first, zone), _midnight(first + relativedelta(months=1), zone))
    ago = _AGO.match(said)
    if ago:
        count = _count(ago.group(1), said)
        unit = _unit(ago.group(2), said)
        if unit == "days":
            return _day_span(today - timedelta(days=count), zone)
        if unit == "weeks":
            return _day_span(today - timedelta(days=7 * count), zone)
        if unit == "months":
            return _day_span(today - relativedelta(months=count), zone)
        moment = local_now - timedelta(**{unit: count})
        return _Span(moment, moment)
    return _typed_date(said, local_now, zone)


def _typed_date(said: str, local_now: datetime, zone: tzinfo) -> _Span:
    """A date as typed ("2026-11-01", "Nov 3", "3 Nov 14:00"), as wide as what was given.

    dateutil fills missing fields from a default; parsing against two different
    defaults shows which fields were typed, so "2026-11" is the whole month and
    "Nov 3" the whole day.
    """
    low = datetime(local_now.year, 1, 1, 0, 0, 0)
    high = datetime(local_now.year, 12, 28, 23, 59, 59, 999999)
    try:
        one = date_parser.parse(said, default=low, dayfirst=False)
        two = date_parser.parse(said, default=high, dayfirst=False)
    except (ValueError, OverflowError) as exc:
        raise TimeRangeError(f"cannot read '{said}' as a time range: try {EXAMPLES}") from exc
    if one.tzinfo is None:
        one = one.replace(tzinfo=zone)
        two = two.replace(tzinfo=zone)
    else:
        one, two = one.astimezone(zone), two.astimezone(zone)
    if one.hour == two.hour:  # a typed time: missing minutes and seconds read as zero
        if one.month != two.month and one.day != two.day:  # a time alone: today's
            one = datetime.combine(local_now.date(), one.timetz())
        return _Span(one, one)
    if one.day == two.day:
        return _day_span(one.date(), zone)
    if one.month == two.month:
        first = one.date().replace(day=1)
        return _Span(_midnight(first, zone), _midnight(first + relativedelta(months=1), zone))
    first = date(one.year, 1, 1)
    return _Span(_midnight(first, zone), _midnight(date(one.year + 1, 1, 1), zone))


def _show(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%a %Y-%m-%d")
    return moment.strftime("%a %Y-%m-%d %H:%M")
