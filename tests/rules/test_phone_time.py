"""Clock drift from the time the user reads off their phone, as the agent types it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportdesk.rules.phone_time import PhoneTimeError, parse_phone_time

CHICAGO = ZoneInfo("America/Chicago")  # UTC−6 in late November
# 15:42:30 in Chicago on Sunday 29 November 2026.
NOW = datetime(2026, 11, 29, 21, 42, 30, tzinfo=UTC)


def local(zone: tzinfo, *when: int) -> datetime:
    """The server's UTC ``now`` for a wall-clock time in ``zone``."""
    year, month, day, hour, minute, second = when
    return datetime(year, month, day, hour, minute, second, tzinfo=zone).astimezone(UTC)


# --- the notations agents type ---------------------------------------------------------

MINUTE_IN_STEP = (-30, 30)  # "15:42" against 15:42:30: the phone is 30 s slow to 30 s fast
SEVEN_SECONDS = (-23, -22)  # "15:42:07" against 15:42:30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3:42 PM", MINUTE_IN_STEP),
        ("3:42 pm", MINUTE_IN_STEP),
        ("3:42PM", MINUTE_IN_STEP),
        ("03:42 p.m.", MINUTE_IN_STEP),
        ("3.42pm", MINUTE_IN_STEP),
        ("3.42 PM", MINUTE_IN_STEP),
        ("15:42", MINUTE_IN_STEP),
        ("15.42", MINUTE_IN_STEP),
        ("15h42", MINUTE_IN_STEP),
        ("15:42:07", SEVEN_SECONDS),
        ("3:42:07 p.m.", SEVEN_SECONDS),
        ("3:42:07 PM", SEVEN_SECONDS),
        ("3.42.07 pm", SEVEN_SECONDS),
        ("  15:42:07  ", SEVEN_SECONDS),
        ("Nov 29 3:42 pm", MINUTE_IN_STEP),
        ("29 Nov 15:42", MINUTE_IN_STEP),
        ("29/11 15:42", MINUTE_IN_STEP),
        ("11/29 3:42 PM", MINUTE_IN_STEP),
        ("29.11.2026 15:42", MINUTE_IN_STEP),
        ("2026-11-29 15:42:07", SEVEN_SECONDS),
        ("Sunday 3:42 PM", MINUTE_IN_STEP),
        ("3:45 PM", (150, 210)),
        ("3:40 PM", (-150, -90)),
        ("3 PM", (-2550, -2490)),
        ("noon", (-13350, -13290)),
        ("midnight", (29850, 29910)),  # the coming midnight is nearer than the last
        ("21:42 UTC", MINUTE_IN_STEP),
        ("9:42 PM UTC", MINUTE_IN_STEP),
        ("2026-11-29T21:42:07Z", SEVEN_SECONDS),
        ("3:42 PM CST", MINUTE_IN_STEP),
        ("4:42 PM EST", MINUTE_IN_STEP),
        ("22:42 CET", MINUTE_IN_STEP),
        ("22:42 +01:00", MINUTE_IN_STEP),
        ("16:42 -0500", MINUTE_IN_STEP),
        ("22:42 UTC+1", MINUTE_IN_STEP),  # as people mean it, not the POSIX way round
        ("15:42 GMT-6", MINUTE_IN_STEP),
        ("15:42 cet", (-25230, -25170)),  # a phone showing CET 7 h behind Chicago
    ],
)
def test_notations_read_as_the_phone_shows(text: str, expected: tuple[float, float]) -> None:
    reading = parse_phone_time(text, NOW, CHICAGO)
    assert (reading.drift.low_s, reading.drift.high_s) == pytest.approx(expected)


def test_no_seconds_means_the_whole_minute() -> None:
    # 15:42 on the display: the phone is somewhere in [15:42:00, 15:43:00).
    reading = parse_phone_time("15:42", NOW, CHICAGO)
    assert not reading.has_seconds
    assert reading.resolution_s == 60
    assert reading.phone_time == datetime(2026, 11, 29, 15, 42, tzinfo=CHICAGO)
    assert reading.drift.high_s - reading.drift.low_s == 60


def test_seconds_narrow_it_to_one_second() -> None:
    reading = parse_phone_time("15:42:07", NOW, CHICAGO)
    assert reading.has_seconds
    assert reading.drift.high_s - reading.drift.low_s == 1
    assert reading.drift.describe() == "phone is 22 s ± 1 s slow"


def test_reading_lag_widens_the_fast_end() -> None:
    reading = parse_phone_time("15:42:07", NOW, CHICAGO, reading_lag_s=3)
    assert (reading.drift.low_s, reading.drift.high_s) == (-23, -19)


def test_what_was_typed_is_reported() -> None:
    plain = parse_phone_time("3:42 PM", NOW, CHICAGO)
    assert (plain.has_seconds, plain.has_date, plain.has_zone) == (False, False, False)
    full = parse_phone_time("Nov 29 2026 21:42:07 UTC", NOW, CHICAGO)
    assert (full.has_seconds, full.has_date, full.has_zone) == (True, True, True)
    assert full.drift_seconds_low == -23 and full.drift_seconds_high == -22


def test_the_users_zone_is_used_when_none_is_typed() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    reading = parse_phone_time("22:42", NOW, berlin)
    assert reading.phone_time.tzinfo is berlin
    assert reading.drift.contains(0)


def test_a_typed_zone_wins_over_the_users() -> None:
    reading = parse_phone_time("15:42 +01:00", NOW, CHICAGO)
    assert reading.has_zone
    assert reading.phone_time.utcoffset() == timedelta(hours=1)


def test_an_abbreviation_of_the_users_own_zone_is_understood() -> None:
    # IST is ambiguous in general, but not for a user in India.
    kolkata = ZoneInfo("Asia/Kolkata")
    reading = parse_phone_time("3:12 AM IST", NOW, kolkata)
    assert reading.phone_time.utcoffset() == timedelta(hours=5, minutes=30)
    assert reading.drift.contains(0)


# --- AM and PM -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hour", "minute"),
    [
        ("12:30 AM", 0, 30),
        ("12:30 PM", 12, 30),
        ("12:05 a.m.", 0, 5),
        ("1:15 am", 1, 15),
        ("1:15 pm", 13, 15),
        ("11:59 PM", 23, 59),
        ("7:05 a", 7, 5),
    ],
)
def test_am_and_pm(text: str, hour: int, minute: int) -> None:
    reading = parse_phone_time(text, NOW, CHICAGO)
    shown = reading.phone_time
    assert (shown.hour, shown.minute) == (hour, minute)


# --- midnight, date and year wrap ---------------------------------------------------------


def test_phone_just_before_midnight_server_just_after_is_slow() -> None:
    now = local(CHICAGO, 2026, 11, 30, 0, 1, 0)
    reading = parse_phone_time("23:59", now, CHICAGO)
    assert (reading.drift.low_s, reading.drift.high_s) == (-120, -60)
    assert reading.phone_time.date().day == 29
    assert reading.drift.describe() == "phone is 1 min 30 s ± 30 s slow"


def test_phone_just_after_midnight_server_just_before_is_fast() -> None:
    now = local(CHICAGO, 2026, 11, 29, 23, 59, 0)
    reading = parse_phone_time("00:01", now, CHICAGO)
    # The phone is in [00:01:00, 00:02:00) while the server is at 23:59:00.
    assert (reading.drift.low_s, reading.drift.high_s) == (120, 180)
    assert reading.phone_time.date().day == 30


def test_midnight_wrap_with_am_pm_and_seconds() -> None:
    now = local(CHICAGO, 2026, 11, 30, 0, 0, 5)
    reading = parse_phone_time("11:59:58 PM", now, CHICAGO)
    assert (reading.drift.low_s, reading.drift.high_s) == (-7, -6)


def test_new_year_wrap_picks_last_year_for_a_typed_date() -> None:
    now = local(CHICAGO, 2027, 1, 1, 0, 0, 30)
    reading = parse_phone_time("Dec 31 11:59 PM", now, CHICAGO)
    assert reading.phone_time.year == 2026
    assert (reading.drift.low_s, reading.drift.high_s) == (-90, -30)


def test_new_year_wrap_picks_next_year_for_a_typed_date() -> None:
    now = local(CHICAGO, 2026, 12, 31, 23, 59, 30)
    reading = parse_phone_time("Jan 1 12:00 AM", now, CHICAGO)
    assert reading.phone_time.year == 2027
    assert (reading.drift.low_s, reading.drift.high_s) == (30, 90)


def test_a_typed_date_far_from_today_is_reported_as_is() -> None:
    reading = parse_phone_time("2026-11-28 15:42", NOW, CHICAGO)
    assert reading.drift.contains(-86_400)


@pytest.mark.parametrize(
    ("now", "month"),
    [(local(CHICAGO, 2026, 11, 5, 15, 42, 30), 11), (local(CHICAGO, 2026, 5, 11, 15, 42, 30), 5)],
)
def test_day_month_order_is_settled_by_which_date_is_today(now: datetime, month: int) -> None:
    reading = parse_phone_time("05/11 15:42", now, CHICAGO)
    assert reading.phone_time.month == month
    assert reading.drift.contains(0)


def test_the_repeated_hour_when_clocks_go_back() -> None:
    # 1 November 2026, 01:00–02:00 happens twice in Chicago; now is in the second one.
    now = datetime(2026, 11, 1, 7, 20, tzinfo=UTC)  # 01:20 CST
    reading = parse_phone_time("1:21 AM", now, CHICAGO)
    assert (reading.drift.low_s, reading.drift.high_s) == (60, 120)


# --- what cannot be read ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "banana",
            "could not read a time in 'banana'; type it as shown on the phone, e.g. 3:42 PM",
        ),
        ("quarter past three", "could not read a time in 'quarter past three'"),
        ("3:42 in the afternoon", "could not read a time"),
        ("15 42", "could not read a time"),
        ("", "type the time shown on the phone"),
        ("   ", "type the time shown on the phone"),
        ("25:61", "'25:61' is not a possible time"),
        ("24:00", "'24:00' is not a possible time"),
        ("15:60", "'15:60' is not a possible time"),
        ("15:42:61", "is not a possible time"),
        ("13:42 PM", "mixes a 24-hour time with AM/PM"),
        ("Nov 29", "no time of day in 'Nov 29'"),
        ("1542", "no time of day"),
        ("15:42 XYZT", "unknown time zone 'XYZT'"),
        ("15:42 IST", "time zone 'IST' could be India, Ireland or Israel"),
        ("15:42 UTC+3 CET", "two time zones"),
        ("3:42 PM " + "x" * 100, "too long"),
    ],
)
def test_unreadable_input_gets_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(PhoneTimeError) as caught:
        parse_phone_time(text, NOW, CHICAGO)
    assert message in str(caught.value)


def test_phone_time_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_phone_time("banana", NOW, CHICAGO)


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_phone_time("15:42", datetime(2026, 11, 29, 21, 42), CHICAGO)


# --- properties ----------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
fixed_zones = st.integers(min_value=-12 * 4, max_value=14 * 4).map(
    lambda quarters: timezone(timedelta(minutes=15 * quarters))
)
# Up to 11 h either way: the nearest date is then always the phone's date.
big_drifts = st.integers(min_value=-11 * 3600 * 1000, max_value=11 * 3600 * 1000).map(
    lambda ms: timedelta(milliseconds=ms)
)
display_formats = st.sampled_from(["%H:%M:%S", "%H:%M", "%I:%M %p", "%I.%M%p", "%H:%M:%S %z"])


@settings(max_examples=60, deadline=None)
@given(now=moments, zone=fixed_zones, drift=big_drifts, display=display_formats)
def test_the_range_contains_the_true_drift(
    now: datetime, zone: timezone, drift: timedelta, display: str
) -> None:
    shown = (now + drift).astimezone(zone).strftime(display)
    reading = parse_phone_time(shown, now, zone)
    assert reading.drift.contains(drift.total_seconds()), (shown, reading.drift)


@settings(max_examples=60, deadline=None)
@given(
    now=moments,
    drift=st.integers(min_value=-20 * 60_000, max_value=20 * 60_000).map(
        lambda ms: timedelta(milliseconds=ms)
    ),
    display=display_formats,
)
def test_the_range_contains_the_true_drift_across_daylight_saving(
    now: datetime, drift: timedelta, display: str
) -> None:
    shown = (now + drift).astimezone(CHICAGO).strftime(display)
    reading = parse_phone_time(shown, now, CHICAGO)
    assert reading.drift.contains(drift.total_seconds()), (shown, reading.drift)


typed_scraps = st.lists(
    st.sampled_from([*"0123456789:.-+/ hapmAPMZ", "Nov", "noon", "UTC", "CET", "p.m.", "9999"]),
    max_size=12,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=typed_scraps | st.text(max_size=30))
def test_anything_typed_gives_a_reading_or_a_clear_error(text: str) -> None:
    try:
        reading = parse_phone_time(text, NOW, CHICAGO)
    except PhoneTimeError as error:
        assert str(error)
    else:
        assert reading.drift.low_s <= reading.drift.high_s
