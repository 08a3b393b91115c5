"""What the agent is told to do about a phone whose codes are not accepted."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest

from supportdesk.rules.clock_verdict import clock_verdict, verdict_for
from supportdesk.rules.drift import DriftRange, find_drift
from supportdesk.rules.phone_time import parse_phone_time

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OLD_SECRET = "KRSXG5CTMVRXEZLUKN2XAZLSONSWG4TF"
CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 29, 21, 42, 15, tzinfo=UTC)  # 15:42:15 in Chicago


def around(center_s: float, half_width_s: float = 15) -> DriftRange:
    return DriftRange(center_s - half_width_s, center_s + half_width_s)


def codes_read(drift_s: float, secret: str = SECRET) -> list[str]:
    """Two consecutive codes from a phone ``drift_s`` seconds off, the last one on screen now."""
    totp = pyotp.TOTP(secret)
    return [
        totp.at(NOW + timedelta(seconds=drift_s - 30)),
        totp.at(NOW + timedelta(seconds=drift_s)),
    ]


def phone_shows(drift_s: float, fmt: str = "%H:%M:%S") -> str:
    return (NOW + timedelta(seconds=drift_s)).astimezone(CHICAGO).strftime(fmt)


def text_of(verdict_steps: tuple[str, ...]) -> str:
    return "\n".join(verdict_steps)


# --- clock ok -----------------------------------------------------------------------------


def test_a_clock_within_30_seconds_is_ok() -> None:
    verdict = clock_verdict(around(10), None)
    assert verdict.kind == "clock_ok"
    assert verdict.certain
    assert "not the problem" in verdict.headline


def test_30_seconds_is_still_ok_31_is_not() -> None:
    assert clock_verdict(DriftRange(29, 30), None).kind == "clock_ok"
    assert clock_verdict(DriftRange(-30, -29), None).kind == "clock_ok"
    assert clock_verdict(DriftRange(31, 32), None).kind == "set_time_automatic"
    assert clock_verdict(DriftRange(-32, -31), None).kind == "set_time_automatic"


def test_a_matching_code_with_a_good_clock_says_the_code_is_valid() -> None:
    verdict = clock_verdict(None, True, code_drift=around(5))
    assert verdict.kind == "clock_ok"
    assert verdict.basis == "codes"
    assert "code is valid" in verdict.headline


def test_a_reading_without_seconds_that_straddles_30_s_is_ok_but_flagged() -> None:
    verdict = clock_verdict(DriftRange(-50, 10), None)
    assert verdict.kind == "clock_ok"
    assert not verdict.certain
    assert any("seconds" in note for note in verdict.notes)


# --- set time automatic --------------------------------------------------------------------


def test_a_slow_clock_is_told_to_set_time_automatically_on_each_platform() -> None:
    verdict = clock_verdict(around(-150), None)
    assert verdict.kind == "set_time_automatic"
    assert "2 min 30 s ± 15 s slow" in verdict.headline
    steps = text_of(verdict.steps)
    assert "Settings › General › Date & Time › turn on Set Automatically" in steps
    assert "Settings › System › Date & time › turn on Set time automatically" in steps
    assert "Use network-provided time" in steps
    assert "Time correction for codes › Sync now" in steps
    assert "Microsoft Authenticator" in steps and "Authy" in steps
    assert all(isinstance(step, str) for step in verdict.steps)


def test_a_fast_clock_says_fast() -> None:
    verdict = clock_verdict(around(95), None)
    assert verdict.kind == "set_time_automatic"
    assert "fast" in verdict.headline


def test_a_whole_day_off_is_a_wrong_date_not_a_time_zone() -> None:
    assert clock_verdict(around(86_400, 30), None).kind == "set_time_automatic"


# --- wrong time zone ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "drift_s",
    [3600, -3600, 3600 - 20, -7200 + 170, 5.5 * 3600, -1800, 9 * 3600],
)
def test_drift_of_almost_whole_or_half_hours_is_a_wrong_time_zone(drift_s: float) -> None:
    verdict = clock_verdict(around(drift_s, 30), None)
    assert verdict.kind == "wrong_time_zone"
    steps = text_of(verdict.steps)
    assert "Set time zone automatically" in steps
    assert "Set Automatically" in steps
    assert "time zone" in verdict.headline


def test_more_than_3_minutes_off_the_hour_is_not_a_time_zone() -> None:
    assert clock_verdict(around(3600 + 240, 30), None).kind == "set_time_automatic"


def test_the_zone_headline_names_the_hours() -> None:
    verdict = clock_verdict(around(-5.5 * 3600, 30), None)
    assert "5 h 30 min slow" in verdict.headline


# --- stale secret -------------------------------------------------------------------------


def test_no_match_with_a_right_clock_is_a_stale_secret() -> None:
    verdict = clock_verdict(around(3), False)
    assert verdict.kind == "stale_secret"
    steps = text_of(verdict.steps)
    assert "remove the Alvys account from the authenticator app" in steps
    assert "new QR code" in steps
    assert "next sign-in" in steps


def test_no_match_with_a_clock_off_inside_the_window_is_still_a_stale_secret() -> None:
    # Codes from a phone 5 min slow would have been found; the clock cannot explain it.
    verdict = clock_verdict(around(-300), False)
    assert verdict.kind == "stale_secret"
    steps = verdict.steps
    first_reenrol = next(i for i, step in enumerate(steps) if "re-enrolment" in step)
    assert any("Set Automatically" in step for step in steps[:first_reenrol])


def test_no_match_with_a_clock_beyond_the_window_blames_the_clock() -> None:
    verdict = clock_verdict(around(5 * 3600 + 600, 30), False, window_s=7200)
    assert verdict.kind == "set_time_automatic"
    assert any("re-enrol" in note for note in verdict.notes)


def test_no_match_with_the_clock_unknown_asks_for_the_phone_time() -> None:
    verdict = clock_verdict(None, False)
    assert verdict.kind == "need_more_information"
    assert "time" in verdict.steps[0]


def test_nothing_measured_asks_for_something() -> None:
    verdict = clock_verdict(None, None)
    assert verdict.kind == "need_more_information"
    assert verdict.steps


# --- precedence ---------------------------------------------------------------------------


def test_unique_codes_outrank_the_phone_time_read_out() -> None:
    verdict = clock_verdict(around(-600, 30), True, code_drift=around(5))
    assert verdict.kind == "clock_ok"
    assert verdict.basis == "codes"
    assert any("disagrees" in note for note in verdict.notes)


def test_a_lone_ambiguous_code_defers_to_the_phone_time() -> None:
    verdict = clock_verdict(around(-150, 30), True, code_drift=around(3000), codes_unique=False)
    assert verdict.basis == "phone_clock"
    assert verdict.kind == "set_time_automatic"


def test_a_lone_ambiguous_code_alone_is_used_but_not_trusted() -> None:
    verdict = clock_verdict(None, True, code_drift=around(-150), codes_unique=False)
    assert verdict.kind == "set_time_automatic"
    assert not verdict.certain
    assert any("next code" in note for note in verdict.notes)


def test_verdicts_are_frozen() -> None:
    verdict = clock_verdict(around(0), None)
    with pytest.raises(FrozenInstanceError):
        verdict.kind = "stale_secret"  # type: ignore[misc]


# --- end to end: codes and phone time as the agent enters them ---------------------------------


def test_slow_phone_from_its_codes() -> None:
    codes = find_drift(SECRET, codes_read(-150), NOW)
    verdict = verdict_for(codes, None)
    assert verdict.kind == "set_time_automatic"
    assert verdict.drift is not None and verdict.drift.contains(-150)


def test_phone_an_hour_fast_from_its_codes_and_clock() -> None:
    codes = find_drift(SECRET, codes_read(3600 + 12), NOW)
    phone = parse_phone_time(phone_shows(3600 + 12, "%I:%M %p"), NOW, CHICAGO)
    assert verdict_for(codes, phone).kind == "wrong_time_zone"


def test_old_secret_with_a_right_clock() -> None:
    codes = find_drift(SECRET, codes_read(0, secret=OLD_SECRET), NOW)
    phone = parse_phone_time(phone_shows(4), NOW, CHICAGO)
    verdict = verdict_for(codes, phone)
    assert verdict.kind == "stale_secret"


def test_phone_time_alone() -> None:
    phone = parse_phone_time(phone_shows(-200), NOW, CHICAGO)
    assert verdict_for(None, phone).kind == "set_time_automatic"


def _now_with_a_repeated_code() -> tuple[datetime, int, int]:
    totp = pyotp.TOTP(SECRET)
    for hop in range(200):
        now = NOW + timedelta(hours=5 * hop)
        seen: dict[str, int] = {}
        for k in range(-240, 241):
            code = totp.at(now, counter_offset=k)
            if code in seen:
                return now, seen[code], k
            seen[code] = k
    raise AssertionError("no repeated code found")


def test_the_phone_time_picks_out_the_right_match_for_a_lone_code() -> None:
    now, first, second = _now_with_a_repeated_code()
    true_offset = first if abs(first) > abs(second) else second  # not the nearest one
    code = pyotp.TOTP(SECRET).at(now, counter_offset=true_offset)
    codes = find_drift(SECRET, [code], now)
    assert not codes.unique

    true_drift = codes.drift_for(true_offset).center_s
    shown = (now + timedelta(seconds=true_drift)).astimezone(CHICAGO).strftime("%H:%M:%S")
    verdict = verdict_for(codes, parse_phone_time(shown, now, CHICAGO))
    assert verdict.basis == "codes"
    assert verdict.drift == codes.drift_for(true_offset)
