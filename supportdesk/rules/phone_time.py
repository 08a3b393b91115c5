"""Read the time shown on the user's phone, as the agent types it, into a drift.

The second way to measure clock drift, and the one that works without a code:
the user reads the clock on their phone and the agent types it as heard —
"3:42 PM", "15:42:07", "3.42pm", "Nov 29 3:42 pm", "15:42 CET". We parse it
with python-dateutil after smoothing over the notations it reads wrongly, pick
the date that puts the reading nearest to now (so 23:59 against our 00:01 is
two minutes slow, not a day fast), and turn what was typed into an honest
range: a clock showing 15:42 could be anywhere in [15:42:00, 15:43:00).

Pure: the caller passes ``now`` and the user's zone; nothing reads a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from dateutil import parser as dateutil_parser

from supportdesk.rules.drift import DriftRange

__all__ = ["PhoneTimeError", "PhoneTimeReading", "parse_phone_time"]

_EXAMPLE = "e.g. 3:42 PM"
_MAX_LENGTH = 80

# Two defaults that differ in every field: a field that comes out the same
# from both was typed, one that differs was filled in by the parser.
_DEFAULT_A = datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2004, 3, 3, 1, 1, 1)

# Abbreviations people type, with the fixed offset (minutes) each one names.
# CST is taken as US Central (the customer base is mostly North American);
# a user whose own zone uses an abbreviation differently is matched first.
_ZONE_OFFSETS_MIN: dict[str, int] = {
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "CET": 60,
    "CEST": 120,
    "MET": 60,
    "MEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "TRT": 180,
    "SAST": 120,
    "AFT": 270,
    "PKT": 300,
    "UZT": 300,
    "HKT": 480,
    "SGT": 480,
    "AWST": 480,
    "JST": 540,
    "KST": 540,
    "ACST": 570,
    "ACDT": 630,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "NST": -210,
    "NDT": -150,
    "ADT": -180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "COT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "AKST": -540,
    "AKDT": -480,
    "HST": -600,
}
_AMBIGUOUS_ZONES: dict[str, str] = {
    "IST": "India, Ireland or Israel",
    "AST": "Atlantic or Arabia",
}

_DOTTED_AM_PM = re.compile(r"(?<![a-z])([ap])\.\s?m\b\.?", re.IGNORECASE)
_NOON = re.compile(r"\b(?:12(?::00)?\s*)?noon\b", re.IGNORECASE)
_MIDNIGHT = re.compile(r"\b(?:12(?::00)?\s*)?midnight\b", re.IGNORECASE)
# "UTC+3" as people mean it; dateutil follows POSIX and would read it as -3.
_UTC_OFFSET = re.compile(r"\b(?:UTC|GMT)\s*([+\-−])\s*(\d{1,2})(?::?(\d{2}))?(?!\d)", re.IGNORECASE)
_DOTTED_TIME = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?:\.(\d{2}))?(?![\d.])")
_CLOCK_TOKEN = re.compile(r"(?<![\d.])(\d{1,3})\s*[:hH]\s*(\d{1,3})(?:\s*[:mM]\s*(\d{1,3}))?(?!\d)")
_TWELVE_HOUR = re.compile(r"(?<![\d.])(\d{1,2})(?::\d{1,2}){1,2}(?:\.\d+)?\s*([ap])m?\b", re.I)


class PhoneTimeError(ValueError):
    """The typed phone time cannot be read; the message tells the agent how to type it."""


@dataclass(frozen=True)
class PhoneTimeReading:
    """What the time on the phone says about its clock.

    ``phone_time`` is the start of what the display showed (15:42 ⇒ 15:42:00),
    in the zone it was read in; ``drift`` is phone minus server in seconds
    (positive = phone fast), as wide as the display's resolution plus lag.
    """

    text: str
    phone_time: datetime
    drift: DriftRange
    has_seconds: bool
    has_date: bool
    has_zone: bool
    resolution_s: int

    @property
    def drift_seconds_low(self) -> float:
        """Lowest drift consistent with the reading."""
        return self.drift.low_s

    @property
    def drift_seconds_high(self) -> float:
        """Highest drift consistent with the reading."""
        return self.drift.high_s


@dataclass(frozen=True)
class _Fields:
    """One way dateutil read the text, with which fields were really typed."""

    value: datetime
    has_time: bool
    has_minutes: bool
    has_seconds: bool
    has_year: bool
    has_month_day: bool
    zone_name: str | None
    zone_offset_s: int | None


def _quote(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _unreadable(text: str) -> PhoneTimeError:
    return PhoneTimeError(
        f"could not read a time in {_quote(text)}; type it as shown on the phone, {_EXAMPLE}"
    )


def _normalise(text: str) -> tuple[str, int | None]:
    """Rewrite what dateutil misreads; return the text and any "UTC+3"-style offset."""
    work = " ".join(text.split())
    work = _DOTTED_AM_PM.sub(lambda m: m.group(1) + "m", work)
    work = _NOON.sub("12:00 pm", work)
    work = _MIDNIGHT.sub("12:00 am", work)

    offset_s: int | None = None
    zone = _UTC_OFFSET.search(work)
    if zone:
        sign = -1 if zone.group(1) in "-−" else 1
        offset_s = sign * (int(zone.group(2)) * 3600 + int(zone.group(3) or 0) * 60)
        work = (work[: zone.start()] + " " + work[zone.end() :]).strip()

    if ":" not in work:
        # "3.42pm" is 15:42, but dateutil reads it as 15:00; "29.11" stays a date.
        def to_colons(m: re.Match[str]) -> str:
            hour, minute, second = m.group(1), m.group(2), m.group(3)
            if int(hour) > 23 or int(minute) > 59 or (second and int(second) > 59):
                return m.group(0)
            return f"{hour}:{minute}" + (f":{second}" if second else "")

        work = _DOTTED_TIME.sub(to_colons, work, count=1)
    return work, offset_s


def _check_possible(work: str, text: str) -> None:
    """Refuse clock times no phone shows ("25:61", "13:42 PM") with a precise reason."""
    for m in _CLOCK_TOKEN.finditer(work):
        hour, minute = int(m.group(1)), int(m.group(2))
        second = int(m.group(3)) if m.group(3) else 0
        if hour > 23 or minute > 59 or second > 59:
            raise PhoneTimeError(
                f"{m.group(0)!r} is not a possible time: hours run 0–23, minutes and seconds 0–59"
            )
    for m in _TWELVE_HOUR.finditer(work):
        if int(m.group(1)) > 12:
            raise PhoneTimeError(
                f"{_quote(text)} mixes a 24-hour time with AM/PM; type it as shown"
                " on the phone, e.g. 3:42 PM or 15:42"
            )


def _read_fields(work: str, dayfirst: bool) -> _Fields | None:
    """Let dateutil read the text once per default, noting what was typed."""
    seen_zones: list[tuple[str | None, int | None]] = []

    def capture_zone(name: str | None, offset: int | None) -> None:
        seen_zones.append((name, offset))
        return None

    try:
        a = dateutil_parser.parse(work, default=_DEFAULT_A, dayfirst=dayfirst, tzinfos=capture_zone)
        b = dateutil_parser.parse(work, default=_DEFAULT_B, dayfirst=dayfirst, tzinfos=capture_zone)
    except (ValueError, OverflowError):
        return None
    zone_name, zone_offset = seen_zones[0] if seen_zones else (None, None)
    return _Fields(
        value=a.replace(tzinfo=None, fold=0),
        has_time=a.hour == b.hour,
        has_minutes=a.minute == b.minute,
        has_seconds=a.second == b.second,
        has_year=a.year == b.year,
        has_month_day=a.month == b.month and a.day == b.day,
        zone_name=zone_name,
        zone_offset_s=zone_offset,
    )


def _fixed_zone(offset_s: int, name: str | None = None) -> timezone:
    try:
        offset = timedelta(seconds=offset_s)
        return timezone(offset, name) if name else timezone(offset)
    except ValueError as exc:
        raise PhoneTimeError(f"a time zone offset of {offset_s // 3600} h does not exist") from exc


def _zone_named(name: str, now: datetime, user_tz: tzinfo) -> tzinfo:
    """The fixed offset an abbreviation stands for, preferring the user's own zone."""
    for probe in (now, now - timedelta(days=182), now + timedelta(days=182)):
        local = probe.astimezone(user_tz)
        offset = local.utcoffset()
        if local.tzname() == name and offset is not None:
            return timezone(offset, name)
    if name in _ZONE_OFFSETS_MIN:
        return _fixed_zone(_ZONE_OFFSETS_MIN[name] * 60, name)
    if name in _AMBIGUOUS_ZONES:
        raise PhoneTimeError(
            f"time zone {name!r} could be {_AMBIGUOUS_ZONES[name]}; type the offset"
            " instead, e.g. 15:42 +05:30"
        )
    raise PhoneTimeError(
        f"unknown time zone {name!r}; type the offset instead, e.g. 15:42 +01:00,"
        " or leave the zone out to use the user's own"
    )


def _typed_zone(
    fields: _Fields, utc_offset_s: int | None, now: datetime, user_tz: tzinfo
) -> tzinfo | None:
    """The zone typed with the time, if any (the user's zone applies otherwise)."""
    typed = fields.zone_name is not None or fields.zone_offset_s is not None
    if utc_offset_s is not None:
        if typed:
            raise PhoneTimeError("two time zones typed; keep the one the phone shows")
        return _fixed_zone(utc_offset_s)
    if fields.zone_offset_s is not None:
        return _fixed_zone(fields.zone_offset_s, fields.zone_name)
    if fields.zone_name is not None:
        return _zone_named(fields.zone_name, now, user_tz)
    return None


def _candidate_dates(fields: _Fields, local_now: datetime) -> list[date]:
    """Dates the reading may be on: the typed one, or those nearest to now."""
    value = fields.value
    if fields.has_month_day:
        years = [value.year] if fields.has_year else [local_now.year + d for d in (-1, 0, 1)]
        dates: list[date] = []
        for year in years:
            try:
                dates.append(date(year, value.month, value.day))
            except ValueError:
                continue  # 29 February in a year without one
        return dates
    today = local_now.date()
    return [today + timedelta(days=d) for d in (-1, 0, 1)]


def parse_phone_time(
    text: str,
    now: datetime,
    user_tz: tzinfo,
    *,
    reading_lag_s: float = 0.0,
) -> PhoneTimeReading:
    """Read the phone's displayed time against the server's ``now`` (aware UTC).

    The time is taken in ``user_tz`` unless a zone is typed. Without a date,
    the day (yesterday, today, tomorrow in that zone) nearest to now wins;
    with a day and month but no year, the nearest year. ``reading_lag_s`` is
    how long before ``now`` the user may have read the clock.

    Raises PhoneTimeError with a message for the agent when it cannot be read.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (the server's UTC time)")
    if reading_lag_s < 0:
        raise ValueError("reading_lag_s cannot be negative")
    stripped = text.strip()
    if not stripped:
        raise PhoneTimeError(f"type the time shown on the phone, {_EXAMPLE}")
    if len(stripped) > _MAX_LENGTH:
        raise PhoneTimeError(f"that is too long for a time; type it as shown, {_EXAMPLE}")

    work, utc_offset_s = _normalise(stripped)
    _check_possible(work, stripped)
    # Upper case so dateutil sees "cet" as a zone name; its other words ignore case.
    readings = [f for f in (_read_fields(work.upper(), df) for df in (False, True)) if f]
    if not readings:
        raise _unreadable(stripped)
    if not any(f.has_time for f in readings):
        raise PhoneTimeError(
            f"no time of day in {_quote(stripped)}; type the time shown on the phone, {_EXAMPLE}"
        )

    best: tuple[float, datetime, _Fields, bool] | None = None
    for fields in readings:
        if not fields.has_time:
            continue
        typed_zone = _typed_zone(fields, utc_offset_s, now, user_tz)
        zone = typed_zone if typed_zone is not None else user_tz
        resolution = 1 if fields.has_seconds else 60
        try:
            local_now = now.astimezone(zone)
        except OverflowError:
            continue
        clock = fields.value.time()
        for day in _candidate_dates(fields, local_now):
            for fold in (0, 1):
                shown = datetime.combine(day, clock, tzinfo=zone).replace(fold=fold)
                try:
                    start_s = (shown.astimezone(UTC) - now).total_seconds()
                except OverflowError:
                    continue
                distance = abs(start_s + resolution / 2)
                if best is None or distance < best[0]:
                    best = (distance, shown, fields, typed_zone is not None)
    if best is None:
        raise _unreadable(stripped)

    _, shown, fields, has_zone = best
    resolution = 1 if fields.has_seconds else 60
    low = (shown.astimezone(UTC) - now).total_seconds()
    return PhoneTimeReading(
        text=text,
        phone_time=shown,
        drift=DriftRange(low, low + resolution + reading_lag_s),
        has_seconds=fields.has_seconds,
        has_date=fields.has_month_day,
        has_zone=has_zone,
        resolution_s=resolution,
    )
