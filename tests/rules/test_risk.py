"""Branch 4: which risk signal explains a prompt, judged from earlier sign-ins only."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportdesk.rules.risk import (
    IMPOSSIBLE_SPEED_KMH,
    MIN_TRAVEL_KM,
    PromptCause,
    Signal,
    SignIn,
    SignInExplanation,
    explain_signins,
    format_distance,
    format_elapsed,
    haversine_km,
    why_prompted,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

BERLIN = ("Berlin", "DE", 52.5200, 13.4050)
POTSDAM = ("Potsdam", "DE", 52.3906, 13.0645)
TORONTO = ("Toronto", "CA", 43.6532, -79.3832)
KM_PER_DEGREE = math.pi / 180 * 6371.0088


def signin(
    at: datetime,
    place: tuple[str, str, float, float] = BERLIN,
    *,
    device: str = "laptop-1",
    name: str = "ThinkPad X1",
    rep: str = "good",
    prompted: bool = False,
    passed: bool | None = None,
    ip: str = "203.0.113.10",
) -> SignIn:
    city, country, lat, lon = place
    if prompted and passed is None:
        passed = True
    return SignIn(
        at=at,
        device_id=device,
        device_name=name,
        ip=ip,
        city=city,
        country=country,
        lat=lat,
        lon=lon,
        ip_reputation=rep,
        mfa_prompted=prompted,
        mfa_passed=passed,
    )


def home(at: datetime) -> SignIn:
    """The user's usual, verified sign-in: laptop in Berlin."""
    return signin(at, prompted=True)


def last(events: list[SignIn]) -> SignInExplanation:
    return explain_signins(events)[-1]


# --- geometry and wording -------------------------------------------------------------


def test_haversine_known_distances() -> None:
    assert haversine_km(*BERLIN[2:], *BERLIN[2:]) == 0.0
    assert haversine_km(*BERLIN[2:], *TORONTO[2:]) == pytest.approx(6480, abs=20)
    assert haversine_km(*BERLIN[2:], *POTSDAM[2:]) == pytest.approx(27, abs=2)
    # antipodes: half the circumference
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0088)


@pytest.mark.parametrize(
    ("elapsed", "text"),
    [
        (timedelta(hours=1, minutes=20), "1 h 20 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(seconds=20), "less than a minute"),
        (timedelta(0), "less than a minute"),
        (timedelta(hours=1, minutes=19, seconds=40), "1 h 20 min"),
    ],
)
def test_format_elapsed(elapsed: timedelta, text: str) -> None:
    assert format_elapsed(elapsed) == text


def test_format_distance_rounds_to_ten_km() -> None:
    assert format_distance(6478.4) == "6,480 km"
    assert format_distance(501.0) == "500 km"


# --- first sign-in and trusted history ----------------------------------------------------


def test_first_ever_signin_is_prompted_without_signals() -> None:
    result = last([signin(T0, prompted=True)])
    assert result.signals == ()
    assert result.prompt_expected
    assert result.prompt_matches
    assert result.cause is PromptCause.NO_TRUSTED_HISTORY
    assert result.explanation.startswith("First sign-in on record")


def test_first_signin_without_prompt_is_flagged() -> None:
    result = last([signin(T0, prompted=False)])
    assert result.cause is PromptCause.MISSED_PROMPT
    assert not result.prompt_matches
    assert result.anomalous


def test_trusted_device_at_home_without_prompt() -> None:
    result = last([home(T0), signin(T0 + timedelta(days=1))])
    assert result.signals == ()
    assert not result.prompt_expected
    assert result.prompt_matches
    assert result.cause is PromptCause.TRUSTED
    assert not result.anomalous


def test_prompt_without_signal_on_trusted_device_is_periodic_reverification() -> None:
    result = last([home(T0), signin(T0 + timedelta(days=30), prompted=True)])
    assert result.signals == ()
    assert not result.prompt_expected
    assert not result.prompt_matches
    assert result.cause is PromptCause.PERIODIC_REVERIFICATION
    assert not result.anomalous
    assert "periodic re-verification" in result.explanation


def test_earlier_failed_attempts_give_no_trusted_history() -> None:
    failed = signin(T0, prompted=True, passed=False)
    result = last([failed, signin(T0 + timedelta(minutes=5), prompted=True)])
    assert result.cause is PromptCause.NO_TRUSTED_HISTORY
    assert "No earlier sign-in completed verification" in result.explanation


def test_trust_lapses_after_the_window() -> None:
    events = [home(T0), signin(T0 + timedelta(days=91), prompted=True)]
    result = last(events)
    assert result.signals == ()
    assert result.cause is PromptCause.NO_TRUSTED_HISTORY
    assert "trust has lapsed" in result.explanation
    assert "2026-03-02" in result.explanation
    # a longer window keeps the same laptop recognised
    longer = explain_signins(events, trusted_window_days=120)[-1]
    assert longer.cause is PromptCause.PERIODIC_REVERIFICATION


# --- each signal alone ----------------------------------------------------------------


def test_new_device_alone() -> None:
    result = last(
        [home(T0), signin(T0 + timedelta(days=1), device="p8", name="Pixel 8", prompted=True)]
    )
    assert result.fired == {Signal.NEW_DEVICE}
    assert result.signals[0].message == "Signed in from a new device: Pixel 8 (first seen)"
    assert result.prompt_expected and result.prompt_matches
    assert result.cause is PromptCause.RISK_SIGNALS
    assert "Risk signals always trigger a prompt regardless of device history" in (
        result.explanation
    )


def test_device_not_seen_within_window_is_new_again() -> None:
    events = [
        signin(T0, device="old-phone", name="iPhone 12", prompted=True),
        home(T0 + timedelta(days=60)),
        signin(T0 + timedelta(days=95), device="old-phone", name="iPhone 12", prompted=True),
    ]
    result = last(events)
    assert result.fired == {Signal.NEW_DEVICE}
    assert "not seen in the last 90 days; last seen 2026-03-02" in result.signals[0].message


def test_new_location_alone() -> None:
    result = last([home(T0), signin(T0 + timedelta(days=1), POTSDAM, prompted=True)])
    assert result.fired == {Signal.NEW_LOCATION}
    assert result.signals[0].message == (
        "Signed in from a new location: Potsdam, DE (first sign-in from there)"
    )


def test_location_match_ignores_case_and_spaces() -> None:
    shouty = ("  BERLIN ", "de", *BERLIN[2:])
    result = last([home(T0), signin(T0 + timedelta(days=1), shouty)])
    assert result.fired == frozenset()


@pytest.mark.parametrize(
    ("rep", "words"),
    [
        ("tor", "a Tor exit node"),
        ("proxy", "an anonymising proxy or VPN"),
        ("bad", "an address known for abuse"),
        ("Hosting", "an address rated 'hosting'"),
    ],
)
def test_untrusted_ip_alone(rep: str, words: str) -> None:
    event = signin(T0 + timedelta(days=1), rep=rep, prompted=True, ip="185.220.101.4")
    result = last([home(T0), event])
    assert result.fired == {Signal.UNTRUSTED_IP}
    assert result.signals[0].message == (
        f"Signed in from an untrusted IP address: 185.220.101.4 ({words})"
    )


@pytest.mark.parametrize("rep", ["good", "unknown", "GOOD", " unknown "])
def test_good_and_unknown_reputation_raise_nothing(rep: str) -> None:
    assert last([home(T0), signin(T0 + timedelta(days=1), rep=rep)]).signals == ()


def test_untrusted_ip_fires_even_on_first_signin() -> None:
    result = last([signin(T0, rep="tor", prompted=True)])
    assert result.fired == {Signal.UNTRUSTED_IP}
    assert result.cause is PromptCause.RISK_SIGNALS
    assert "First sign-in on record" in result.explanation


def test_impossible_travel_alone_between_known_places() -> None:
    # Berlin and Toronto are both verified places for this laptop; then 1 h 20 min apart.
    toronto_day = T0 + timedelta(days=10)
    events = [
        home(T0),
        signin(toronto_day, TORONTO, prompted=True),
        signin(toronto_day + timedelta(hours=1, minutes=20), BERLIN, prompted=True),
    ]
    result = last(events)
    assert result.fired == {Signal.IMPOSSIBLE_TRAVEL}
    (travel_signal,) = result.signals
    assert travel_signal.message.startswith(
        "Impossible travel: Toronto → Berlin, 6,480 km in 1 h 20 min (about 4,8"
    )
    assert travel_signal.travel is not None
    assert travel_signal.travel.origin is events[1]
    assert travel_signal.travel.speed_kmh > IMPOSSIBLE_SPEED_KMH


# --- combinations and travel thresholds -----------------------------------------------------


def test_all_four_signals_together() -> None:
    attacker = signin(
        T0 + timedelta(hours=1, minutes=20),
        TORONTO,
        device="unknown-pc",
        name="Windows PC",
        rep="proxy",
        prompted=True,
        passed=False,
    )
    result = last([home(T0), attacker])
    assert [s.signal for s in result.signals] == [
        Signal.NEW_DEVICE,
        Signal.NEW_LOCATION,
        Signal.IMPOSSIBLE_TRAVEL,
        Signal.UNTRUSTED_IP,
    ]
    assert result.signals[2].message.startswith(
        "Impossible travel: Berlin → Toronto, 6,480 km in 1 h 20 min"
    )
    assert "new device, new location, impossible travel, untrusted IP" in result.explanation


def test_plausible_flight_is_only_a_new_location() -> None:
    result = last([home(T0), signin(T0 + timedelta(hours=10), TORONTO, prompted=True)])
    assert result.fired == {Signal.NEW_LOCATION}


def test_speed_exactly_at_the_limit_is_plausible() -> None:
    distance = haversine_km(*BERLIN[2:], *TORONTO[2:])
    hours = distance / IMPOSSIBLE_SPEED_KMH
    at_limit = T0 + timedelta(hours=hours)
    assert Signal.IMPOSSIBLE_TRAVEL not in last([home(T0), signin(at_limit, TORONTO)]).fired
    too_fast = at_limit - timedelta(minutes=5)
    assert Signal.IMPOSSIBLE_TRAVEL in last([home(T0), signin(too_fast, TORONTO)]).fired


@pytest.mark.parametrize(("km", "fires"), [(499.0, False), (500.0, False), (501.0, True)])
def test_distance_threshold_of_500_km(km: float, fires: bool) -> None:
    start = ("Null Island", "XX", 0.0, 0.0)
    end = ("North", "XX", km / KM_PER_DEGREE, 0.0)
    assert haversine_km(0.0, 0.0, end[2], 0.0) == pytest.approx(km)
    # ten minutes for ~500 km is ~3,000 km/h: only the distance rule decides
    events = [signin(T0, start, prompted=True), signin(T0 + timedelta(minutes=10), end)]
    assert (Signal.IMPOSSIBLE_TRAVEL in last(events).fired) is fires
    assert MIN_TRAVEL_KM == 500.0


def test_same_instant_far_away_is_impossible() -> None:
    result = last([home(T0), signin(T0, TORONTO, prompted=True)])
    travel = next(s for s in result.signals if s.signal is Signal.IMPOSSIBLE_TRAVEL)
    assert "in less than a minute (at the same moment)" in travel.message
    assert travel.travel is not None
    assert math.isinf(travel.travel.speed_kmh)


def test_failed_attempt_neither_trusts_its_device_nor_skews_travel() -> None:
    attacker = signin(
        T0 + timedelta(hours=1), TORONTO, device="evil", name="Evil PC", prompted=True, passed=False
    )
    events = [
        home(T0),
        attacker,
        # the real user, 30 min after the attacker: measured from Berlin, not Toronto
        signin(T0 + timedelta(hours=1, minutes=30)),
        # the attacker's device is still unknown
        signin(T0 + timedelta(hours=2), TORONTO, device="evil", name="Evil PC", prompted=True),
    ]
    results = explain_signins(events)
    assert results[2].signals == ()
    assert results[2].cause is PromptCause.TRUSTED
    assert Signal.NEW_DEVICE in results[3].fired
    assert Signal.NEW_LOCATION in results[3].fired


def test_signals_without_prompt_are_flagged_missed() -> None:
    result = last([home(T0), signin(T0 + timedelta(days=1), rep="tor", prompted=False)])
    assert result.prompt_expected
    assert not result.prompt_matches
    assert result.cause is PromptCause.MISSED_PROMPT
    assert result.anomalous
    assert "Escalate" in result.explanation


# --- time handling --------------------------------------------------------------------------


def test_midnight_crossing_changes_nothing() -> None:
    before = datetime(2026, 3, 2, 23, 50, tzinfo=UTC)
    result = last([home(before), signin(before + timedelta(minutes=20))])
    assert result.cause is PromptCause.TRUSTED


def test_time_zone_of_the_timestamps_does_not_matter() -> None:
    events = [
        home(T0),
        signin(T0 + timedelta(hours=1, minutes=20), TORONTO, device="p8", name="Pixel 8"),
        signin(T0 + timedelta(days=95), prompted=True),
    ]
    tokyo = timezone(timedelta(hours=9))
    shifted = [replace(e, at=e.at.astimezone(tokyo)) for e in events]
    plain = explain_signins(events)
    moved = explain_signins(shifted)
    assert [(r.fired, r.cause, r.explanation) for r in plain] == [
        (r.fired, r.cause, r.explanation) for r in moved
    ]
    assert [s.message for r in plain for s in r.signals] == [
        s.message for r in moved for s in r.signals
    ]


def test_window_edge_is_inclusive() -> None:
    events = [home(T0), signin(T0 + timedelta(days=90))]
    assert last(events).cause is PromptCause.TRUSTED
    later = [home(T0), signin(T0 + timedelta(days=90, seconds=1), prompted=True)]
    assert last(later).cause is PromptCause.NO_TRUSTED_HISTORY


# --- why_prompted and validation --------------------------------------------------------------


def test_why_prompted_picks_the_most_recent_prompted_signin() -> None:
    events = [
        home(T0),
        signin(T0 + timedelta(days=1), POTSDAM, prompted=True),
        signin(T0 + timedelta(days=2)),
    ]
    result = why_prompted(events)
    assert result is not None
    assert result.event is events[1]
    assert result.fired == {Signal.NEW_LOCATION}


def test_why_prompted_none_when_never_prompted() -> None:
    assert why_prompted([]) is None
    assert why_prompted([signin(T0)]) is None


def test_one_explanation_per_event_in_order() -> None:
    events = [home(T0 + timedelta(hours=h)) for h in range(5)]
    assert [r.event for r in explain_signins(events)] == events


def test_naive_timestamps_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        signin(datetime(2026, 3, 2, 8, 0))


def test_bad_coordinates_are_rejected() -> None:
    with pytest.raises(ValueError, match="coordinates"):
        signin(T0, ("Nowhere", "XX", 95.0, 0.0))


def test_out_of_order_events_are_rejected() -> None:
    with pytest.raises(ValueError, match="oldest to newest"):
        explain_signins([home(T0 + timedelta(hours=1)), home(T0)])


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError):
        explain_signins([home(T0)], trusted_window_days=0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=60 * 24 * 200),
            st.sampled_from([BERLIN, POTSDAM, TORONTO]),
            st.sampled_from(["laptop-1", "p8"]),
            st.sampled_from(["good", "unknown", "tor"]),
            st.booleans(),
            st.sampled_from([True, False, None]),
        ),
        max_size=12,
    )
)
def test_prompt_expected_follows_the_article(
    rows: list[tuple[int, tuple[str, str, float, float], str, str, bool, bool | None]],
) -> None:
    events = [
        signin(T0 + timedelta(minutes=m), place, device=dev, rep=rep, prompted=p, passed=ok)
        for m, place, dev, rep, p, ok in sorted(rows, key=lambda r: r[0])
    ]
    results = explain_signins(events)
    assert len(results) == len(events)
    for r in results:
        if r.signals:
            assert r.prompt_expected  # risk signals always trigger a prompt
        assert r.prompt_matches == (r.prompt_expected == r.event.mfa_prompted)
        assert r.anomalous == (r.cause is PromptCause.MISSED_PROMPT)
        if r.event.ip_reputation not in {"good", "unknown"}:
            assert Signal.UNTRUSTED_IP in r.fired
