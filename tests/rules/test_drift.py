"""Clock drift from the codes a user reads out of their authenticator app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportdesk.rules.drift import CodeFormatError, DriftRange, find_drift, format_duration

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "KRSXG5CTMVRXEZLUKN2XAZLSONSWG4TF"
NOW = datetime(2026, 11, 29, 15, 42, 7, 300_000, tzinfo=UTC)  # 7.3 s into its step
WINDOW_S = 240 * 30

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def code_at(drift_s: float, secret: str = SECRET, now: datetime = NOW) -> str:
    """The code a phone whose clock is ``drift_s`` seconds off shows at ``now``."""
    return pyotp.TOTP(secret).at(now + timedelta(seconds=drift_s))


def two_codes(drift_s: float, secret: str = SECRET, now: datetime = NOW) -> list[str]:
    """The user reads a code, waits for it to change, reads the next one."""
    return [code_at(drift_s - 30, secret, now), code_at(drift_s, secret, now)]


# --- exact offsets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drift_s", "steps"),
    [(0, 0), (-30, -1), (30, 1), (-150, -5), (150, 5), (3600, 120), (-7100, -237)],
)
def test_a_code_is_found_at_the_step_the_phone_is_on(drift_s: float, steps: int) -> None:
    result = find_drift(SECRET, [code_at(drift_s)], NOW)
    assert result.matched
    assert result.offset_steps == steps
    assert steps in result.candidates
    assert result.drift is not None and result.drift.contains(drift_s)


def test_range_is_one_step_wide_and_placed_by_where_now_is_inside_its_step() -> None:
    # The server is 7.3 s into its step, so a phone one step ahead is 22.7–52.7 s fast.
    result = find_drift(SECRET, [code_at(30)], NOW)
    assert result.drift_seconds_low == pytest.approx(22.7)
    assert result.drift_seconds_high == pytest.approx(52.7)
    assert result.drift_seconds == pytest.approx(37.7)


def test_two_and_a_half_minutes_slow_reads_as_such() -> None:
    now = datetime(2026, 11, 29, 15, 42, 15, tzinfo=UTC)  # the middle of a step
    result = find_drift(SECRET, two_codes(-150, now=now), now)
    assert result.phrase == "phone is 2 min 30 s ± 15 s slow"
    assert result.unique


def test_fast_phone_is_called_fast() -> None:
    now = datetime(2026, 11, 29, 15, 42, 15, tzinfo=UTC)
    result = find_drift(SECRET, [code_at(95, now=now)], now)
    assert result.phrase.endswith("fast")
    assert result.drift_seconds is not None and result.drift_seconds > 0


def test_a_phone_on_the_servers_step_is_in_step() -> None:
    result = find_drift(SECRET, [code_at(0)], NOW)
    assert result.offset_steps == 0
    assert result.phrase.startswith("phone is in step")


def test_reading_lag_widens_only_the_fast_end() -> None:
    plain = find_drift(SECRET, [code_at(60)], NOW)
    lagged = find_drift(SECRET, [code_at(60)], NOW, reading_lag_s=5)
    assert lagged.drift_seconds_low == plain.drift_seconds_low
    assert lagged.drift_seconds_high == pytest.approx((plain.drift_seconds_high or 0) + 5)


def test_a_code_read_a_few_seconds_ago_is_still_inside_the_lagged_range() -> None:
    # The phone is 25 s fast; the user read the code 4 s before the agent pressed enter.
    read_at = NOW - timedelta(seconds=4)
    result = find_drift(SECRET, [code_at(25, now=read_at)], NOW, reading_lag_s=4)
    assert result.drift is not None and result.drift.contains(25)


# --- uniqueness -----------------------------------------------------------------------


def test_two_consecutive_codes_match_exactly_one_offset() -> None:
    result = find_drift(SECRET, two_codes(-600), NOW)
    assert result.unique
    assert result.candidates == (-20,)
    assert result.codes_used == 2


def test_three_consecutive_codes_also_work() -> None:
    codes = [code_at(-60), code_at(-30), code_at(0)]
    result = find_drift(SECRET, codes, NOW)
    assert result.unique and result.offset_steps == 0


def _now_with_a_repeated_code() -> tuple[datetime, int, int]:
    """A moment where one code appears twice in the ±2 h window (it happens by chance)."""
    totp = pyotp.TOTP(SECRET)
    for hop in range(200):
        now = NOW + timedelta(seconds=hop * 2 * WINDOW_S)
        seen: dict[str, int] = {}
        for k in range(-240, 241):
            code = totp.at(now, counter_offset=k)
            if code in seen:
                return now, seen[code], k
            seen[code] = k
    raise AssertionError("no repeated code found")


def test_a_single_code_can_match_several_times_and_says_so() -> None:
    now, first, second = _now_with_a_repeated_code()
    code = pyotp.TOTP(SECRET).at(now, counter_offset=second)
    result = find_drift(SECRET, [code], now)
    assert result.matched
    assert not result.unique
    assert {first, second} <= set(result.candidates)
    assert result.offset_steps == min(result.candidates, key=abs)
    assert "read the next code" in result.phrase


def test_the_next_code_settles_a_chance_repeat() -> None:
    now, _first, second = _now_with_a_repeated_code()
    totp = pyotp.TOTP(SECRET)
    codes = [totp.at(now, counter_offset=second), totp.at(now, counter_offset=second + 1)]
    result = find_drift(SECRET, codes, now)
    assert result.unique
    assert result.offset_steps == second + 1


def test_each_candidate_has_its_own_range() -> None:
    now, first, second = _now_with_a_repeated_code()
    result = find_drift(SECRET, [pyotp.TOTP(SECRET).at(now, counter_offset=second)], now)
    assert result.drift_for(first) != result.drift_for(second)
    assert abs(result.drift_for(second).low_s - result.drift_for(first).low_s) == pytest.approx(
        abs(second - first) * 30
    )


# --- no match ---------------------------------------------------------------------------


def test_a_wrong_code_matches_nowhere() -> None:
    wrong = code_at(0, secret=OTHER_SECRET)
    result = find_drift(SECRET, [code_at(-30, secret=SECRET), wrong], NOW)
    assert not result.matched
    assert result.offset_steps is None
    assert result.candidates == ()
    assert result.drift is None and result.drift_seconds is None
    assert "no match within ±2 h" in result.phrase


def test_a_code_from_another_secret_matches_nowhere() -> None:
    result = find_drift(SECRET, two_codes(0, secret=OTHER_SECRET), NOW)
    assert not result.matched


def test_a_drift_beyond_the_window_is_not_found() -> None:
    result = find_drift(SECRET, two_codes(3 * 3600), NOW)
    assert not result.matched


def test_a_wider_window_finds_a_bigger_drift() -> None:
    result = find_drift(SECRET, two_codes(3 * 3600), NOW, window_steps=400)
    assert result.matched and result.drift is not None and result.drift.contains(3 * 3600)


def test_codes_that_are_not_consecutive_are_explained() -> None:
    codes = [code_at(-90), code_at(0)]  # the user skipped two codes
    result = find_drift(SECRET, codes, NOW)
    assert not result.matched
    assert "not consecutive" in result.phrase


def test_the_same_code_read_twice_counts_once() -> None:
    result = find_drift(SECRET, [code_at(0), code_at(0)], NOW)
    assert result.matched and result.offset_steps == 0
    assert result.codes_used == 1


# --- input ---------------------------------------------------------------------------


def test_spaces_in_a_code_are_ignored() -> None:
    code = code_at(0)
    result = find_drift(SECRET, [f" {code[:3]} {code[3:]} "], NOW)
    assert result.matched and result.offset_steps == 0


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["12345"], "a code has 6 digits; got 5"),
        (["1234567"], "a code has 6 digits; got 7"),
        ([""], "a code has 6 digits; got 0"),
        (["12a456"], "codes are digits only"),
        (["12-456"], "codes are digits only"),
        (["١٢٣٤٥٦"], "codes are digits only"),  # Arabic-Indic digits are not code digits
        (["123456", "98765"], "code 2: a code has 6 digits; got 5"),
    ],
)
def test_codes_that_cannot_be_codes_are_refused_clearly(codes: list[str], message: str) -> None:
    with pytest.raises(CodeFormatError, match=message):
        find_drift(SECRET, codes, NOW)


def test_code_format_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        find_drift(SECRET, ["abc"], NOW)


def test_no_codes_is_refused() -> None:
    with pytest.raises(CodeFormatError):
        find_drift(SECRET, [], NOW)


def test_eight_digit_codes_when_asked_for() -> None:
    code = pyotp.TOTP(SECRET, digits=8).at(NOW + timedelta(seconds=-65))
    result = find_drift(SECRET, [code], NOW, digits=8)
    assert result.drift is not None and result.drift.contains(-65)
    with pytest.raises(CodeFormatError, match="a code has 8 digits; got 6"):
        find_drift(SECRET, ["123456"], NOW, digits=8)


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        find_drift(SECRET, ["123456"], datetime(2026, 11, 29, 15, 42))


# --- ranges and phrases ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (45, "45 s"), (150, "2 min 30 s"), (120, "2 min"), (3605, "1 h 5 s")],
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_range_phrases() -> None:
    assert DriftRange(-165, -135).describe() == "phone is 2 min 30 s ± 15 s slow"
    assert DriftRange(135, 165).describe() == "phone is 2 min 30 s ± 15 s fast"
    assert DriftRange(-5, 25).describe() == "phone is in step, within 25 s"


def test_an_upside_down_range_is_refused() -> None:
    with pytest.raises(ValueError):
        DriftRange(10, -10)


# --- properties ---------------------------------------------------------------------------

secrets = st.text(alphabet=BASE32, min_size=32, max_size=32)
moments = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
# Inside the ±2 h window, keeping the earlier of two codes inside it too.
drifts = st.integers(min_value=-(WINDOW_S - 60) * 1000, max_value=(WINDOW_S - 1) * 1000).map(
    lambda ms: ms / 1000
)


@settings(max_examples=60, deadline=None)
@given(secret=secrets, now=moments, drift_s=drifts)
def test_one_code_gives_a_range_containing_the_true_drift(
    secret: str, now: datetime, drift_s: float
) -> None:
    result = find_drift(secret, [code_at(drift_s, secret, now)], now)
    assert result.matched
    # By chance the code may repeat elsewhere in the window; the true one is always a candidate.
    assert any(result.drift_for(k).contains(drift_s) for k in result.candidates)
    if result.unique:
        assert result.drift is not None and result.drift.contains(drift_s)


@settings(max_examples=60, deadline=None)
@given(secret=secrets, now=moments, drift_s=drifts)
def test_two_codes_give_one_range_containing_the_true_drift(
    secret: str, now: datetime, drift_s: float
) -> None:
    result = find_drift(secret, two_codes(drift_s, secret, now), now)
    assert result.unique
    drift = result.drift
    assert drift is not None and drift.contains(drift_s)
    assert drift.high_s - drift.low_s == pytest.approx(30)
    assert abs(drift.center_s - drift_s) <= 15 + 1e-6
