"""Free-typed time ranges read the way a lead means them, in the lead's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdesk.rules.time_range import TimeRangeError, parse_moment, parse_time_range

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 27, 15, 42, 10, tzinfo=UTC)  # Friday 16:42 in Berlin


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("today", local(2026, 11, 27), local(2026, 11, 28)),
        ("Yesterday", local(2026, 11, 26), local(2026, 11, 27)),
        ("last 7 days", local(2026, 11, 21), None),
        ("past 2 weeks", local(2026, 11, 14), None),
        ("2026-11-01..2026-11-15", local(2026, 11, 1), local(2026, 11, 16)),
        ("2026-11-01 to 2026-11-03", local(2026, 11, 1), local(2026, 11, 4)),
        ("Nov 3 - Nov 5", local(2026, 11, 3), local(2026, 11, 6)),
        ("since Monday", local(2026, 11, 23), None),
        ("since mon", local(2026, 11, 23), None),
        ("from monday to wednesday", local(2026, 11, 23), local(2026, 11, 26)),
        ("friday", local(2026, 11, 27), local(2026, 11, 28)),
        ("last friday", local(2026, 11, 20), local(2026, 11, 21)),
        ("last week", local(2026, 11, 16), local(2026, 11, 23)),
        ("this month", local(2026, 11, 1), local(2026, 12, 1)),
        ("last month", local(2026, 10, 1), local(2026, 11, 1)),
        ("2026-10", local(2026, 10, 1), local(2026, 11, 1)),
        ("3 days ago", local(2026, 11, 24), local(2026, 11, 25)),
        ("until yesterday", None, local(2026, 11, 27)),
        ("before yesterday", None, local(2026, 11, 26)),
        ("since 2026-11-20 09:30", local(2026, 11, 20, 9, 30), None),
        ("since 2pm", local(2026, 11, 27, 14), None),
        ("all", None, None),
        ("", None, None),
    ],
)
def test_ranges_a_lead_types(text: str, since: datetime | None, until: datetime | None) -> None:
    found = parse_time_range(text, NOW, BERLIN)
    assert (found.since, found.until) == (since, until)


def test_rolling_hours_count_back_from_now() -> None:
    found = parse_time_range("last 3 hours", NOW, BERLIN)
    assert found.since == NOW - timedelta(hours=3)
    assert found.until is None


def test_today_is_the_leads_today_not_utcs() -> None:
    late_evening_utc = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # already Saturday in Berlin
    found = parse_time_range("today", late_evening_utc, BERLIN)
    assert found.since == local(2026, 11, 28)


def test_a_day_across_the_clock_change_is_25_hours() -> None:
    monday_after = datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # clocks went back on Sunday 25th
    found = parse_time_range("yesterday", monday_after, BERLIN)
    assert found.since is not None and found.until is not None
    # aware datetimes in one zone subtract as wall time: compare the instants
    assert found.until.astimezone(UTC) - found.since.astimezone(UTC) == timedelta(hours=25)


def test_the_echo_shows_what_was_understood() -> None:
    assert parse_time_range("yesterday", NOW, BERLIN).describe() == (
        "Thu 2026-11-26 → Fri 2026-11-27"
    )
    assert parse_time_range("since monday", NOW, BERLIN).describe() == "since Mon 2026-11-23"
    assert parse_time_range("all", NOW, BERLIN).describe() == "all time"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("banana", "try 'today', 'yesterday', 'last 7 days'"),
        ("2026-11-15..2026-11-01", "before it starts"),
        ("last 7 wombats", "use minutes, hours, days, weeks or months"),
        ("last 0 days", "between 1 and 3660"),
        ("2026-11-01 14:00", "a moment, not a range"),
    ],
)
def test_unreadable_ranges_say_why(text: str, says: str) -> None:
    with pytest.raises(TimeRangeError, match=says.replace("(", r"\(").replace(")", r"\)")):
        parse_time_range(text, NOW, BERLIN)


def test_moment_ends_take_the_start_or_the_end_of_the_day() -> None:
    assert parse_moment("2026-11-01", NOW, BERLIN) == local(2026, 11, 1)
    assert parse_moment("2026-11-15", NOW, BERLIN, end=True) == local(2026, 11, 16)
    assert parse_moment("yesterday", NOW, BERLIN) == local(2026, 11, 26)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="zone"):
        parse_time_range("today", datetime(2026, 11, 27), BERLIN)
