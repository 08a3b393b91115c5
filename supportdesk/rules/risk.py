"""Branch 4, "Why was I prompted?": adaptive MFA explained from a user's sign-ins.

The help article says a prompt follows from risk signals at sign-in (a new or
unrecognised device, a new location, impossible travel, an untrusted IP) and
that "risk signals will always trigger a prompt regardless of device history",
while a recognised device with no signal may sign in without one. This module
replays a user's sign-in history and says, for each sign-in, which signals an
agent can point to, whether a prompt was expected, and whether the recorded
prompt fits.

Pure: callers pass the events (oldest first, aware datetimes); nothing here
reads the clock or a database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG); the haversine distance is good to about 0.5 %."""

IMPOSSIBLE_SPEED_KMH = 900.0
"""Faster than this between two sign-ins is not a plausible journey (airliner cruise)."""

MIN_TRAVEL_KM = 500.0
"""Shorter hops are ignored: IP geolocation is often off by a few hundred km."""

DEFAULT_TRUSTED_WINDOW_DAYS = 90
"""How long a verified device or location stays recognised without being seen again."""

TRUSTED_REPUTATIONS = frozenset({"good", "unknown"})
"""IP reputations that raise no signal; anything else (proxy, tor, bad, ...) does."""

_REPUTATION_WORDS = {
    "proxy": "an anonymising proxy or VPN",
    "tor": "a Tor exit node",
    "bad": "an address known for abuse",
}


class Signal(StrEnum):
    """The risk signals the article names; each one alone forces a prompt."""

    NEW_DEVICE = "new_device"
    NEW_LOCATION = "new_location"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    UNTRUSTED_IP = "untrusted_ip"


class PromptCause(StrEnum):
    """The honest one-word story behind a sign-in's prompt (or lack of one)."""

    RISK_SIGNALS = "risk_signals"
    """Signals fired and the user was prompted, as the article promises."""
    NO_TRUSTED_HISTORY = "no_trusted_history"
    """First sign-in, or nothing verified within the trust window: always prompted."""
    PERIODIC_REVERIFICATION = "periodic_reverification"
    """Prompted from a recognised device with no signal: routine re-checking."""
    TRUSTED = "trusted"
    """Recognised device and place, no signal, no prompt: working as designed."""
    MISSED_PROMPT = "missed_prompt"
    """A prompt was expected but none was recorded: worth escalating."""


@dataclass(frozen=True)
class SignIn:
    """One sign-in attempt as the auth service recorded it (times in UTC)."""

    at: datetime
    device_id: str
    device_name: str
    ip: str
    city: str
    country: str
    lat: float
    lon: float
    ip_reputation: str
    mfa_prompted: bool
    mfa_passed: bool | None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("SignIn.at must be timezone-aware (UTC)")
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"coordinates out of range: {self.lat}, {self.lon}")

    @property
    def trusted(self) -> bool:
        """Whether this sign-in vouches for its device and place in later judgements.

        Only sign-ins that got in count: unprompted ones, or prompted ones whose
        MFA was passed. A failed or abandoned attempt (perhaps an attacker's)
        must not make its device or city look familiar.
        """
        return not self.mfa_prompted or self.mfa_passed is True

    @property
    def place(self) -> str:
        """City and country as an agent would read them."""
        city = self.city.strip()
        country = self.country.strip().upper()
        return f"{city}, {country}" if city else country


@dataclass(frozen=True)
class Travel:
    """The journey behind an impossible-travel signal."""

    origin: SignIn
    distance_km: float
    elapsed: timedelta

    @property
    def speed_kmh(self) -> float:
        """Implied ground speed; infinite when both sign-ins share a timestamp."""
        hours = self.elapsed.total_seconds() / 3600.0
        return math.inf if hours <= 0 else self.distance_km / hours


@dataclass(frozen=True)
class RiskSignal:
    """A signal that fired, with the sentence an agent can read to the user."""

    signal: Signal
    message: str
    travel: Travel | None = None


@dataclass(frozen=True)
class SignInExplanation:
    """Why one sign-in was (or was not) prompted, judged only from earlier sign-ins."""

    event: SignIn
    signals: tuple[RiskSignal, ...]
    prompt_expected: bool
    """True when the article requires a prompt: any signal, or no trusted history."""
    prompt_matches: bool
    """Whether the recorded `mfa_prompted` equals `prompt_expected`."""
    cause: PromptCause
    explanation: str
    """One or two sentences for the agent, in the article's framing."""

    @property
    def fired(self) -> frozenset[Signal]:
        """The signals that fired, for quick membership tests."""
        return frozenset(s.signal for s in self.signals)

    @property
    def anomalous(self) -> bool:
        """A prompt was expected but not recorded: the one mismatch that matters."""
        return self.prompt_expected and not self.event.mfa_prompted


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def format_elapsed(elapsed: timedelta) -> str:
    """A duration as an agent says it: "1 h 20 min", "45 min", "less than a minute"."""
    minutes = round(elapsed.total_seconds() / 60)
    if minutes <= 0:
        return "less than a minute"
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def format_distance(km: float) -> str:
    """Rounded to 10 km with a thousands separator: precise enough for geolocated IPs."""
    return f"{round(km / 10) * 10:,} km"


def _location_key(event: SignIn) -> tuple[str, str]:
    return event.country.strip().upper(), event.city.strip().casefold()


def _utc_day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _since(last_seen: datetime, window_days: int) -> str:
    return f"not seen in the last {window_days} days; last seen {_utc_day(last_seen)}"


def _device_signal(
    event: SignIn, last_seen: datetime | None, window_start: datetime, window_days: int
) -> RiskSignal | None:
    if last_seen is not None and last_seen >= window_start:
        return None
    when = "first seen" if last_seen is None else _since(last_seen, window_days)
    name = event.device_name.strip() or event.device_id
    return RiskSignal(Signal.NEW_DEVICE, f"Signed in from a new device: {name} ({when})")


def _location_signal(
    event: SignIn, last_seen: datetime | None, window_start: datetime, window_days: int
) -> RiskSignal | None:
    if last_seen is not None and last_seen >= window_start:
        return None
    when = "first sign-in from there" if last_seen is None else _since(last_seen, window_days)
    return RiskSignal(Signal.NEW_LOCATION, f"Signed in from a new location: {event.place} ({when})")


def _travel_signal(
    event: SignIn, previous: SignIn | None, max_speed_kmh: float, min_travel_km: float
) -> RiskSignal | None:
    if previous is None:
        return None
    distance = haversine_km(previous.lat, previous.lon, event.lat, event.lon)
    travel = Travel(origin=previous, distance_km=distance, elapsed=event.at - previous.at)
    if distance <= min_travel_km or travel.speed_kmh <= max_speed_kmh:
        return None
    origin = previous.city.strip() or previous.place
    destination = event.city.strip() or event.place
    speed = (
        "at the same moment"
        if math.isinf(travel.speed_kmh)
        else f"about {round(travel.speed_kmh):,} km/h"
    )
    message = (
        f"Impossible travel: {origin} → {destination}, {format_distance(distance)} "
        f"in {format_elapsed(travel.elapsed)} ({speed})"
    )
    return RiskSignal(Signal.IMPOSSIBLE_TRAVEL, message, travel)


def _ip_signal(event: SignIn) -> RiskSignal | None:
    reputation = event.ip_reputation.strip().lower()
    if reputation in TRUSTED_REPUTATIONS:
        return None
    what = _REPUTATION_WORDS.get(reputation, f"an address rated '{reputation or 'unrated'}'")
    return RiskSignal(
        Signal.UNTRUSTED_IP, f"Signed in from an untrusted IP address: {event.ip} ({what})"
    )


_ALWAYS = "Risk signals always trigger a prompt regardless of device history."


def _signal_name(signal: Signal) -> str:
    """A signal as a sentence names it ("untrusted IP", not the code "untrusted_ip")."""
    return "untrusted IP" if signal is Signal.UNTRUSTED_IP else signal.value.replace("_", " ")


def _no_history_sentence(any_earlier: bool, last_trusted: SignIn | None, window_days: int) -> str:
    if last_trusted is not None:
        return (
            f"No verified sign-in in the last {window_days} days (the last was on "
            f"{_utc_day(last_trusted.at)}), so trust has lapsed and MFA is asked again."
        )
    if any_earlier:
        return (
            "No earlier sign-in completed verification, so there is no trusted device "
            "or location yet and MFA is always asked."
        )
    return "First sign-in on record: with no trusted device or location yet, MFA is always asked."


def _judge(
    event: SignIn, signals: tuple[RiskSignal, ...], history_sentence: str | None
) -> tuple[bool, PromptCause, str]:
    """Decide expectation, cause and wording; `history_sentence` is set when nothing is trusted."""
    expected = bool(signals) or history_sentence is not None
    if signals and event.mfa_prompted:
        names = ", ".join(_signal_name(s.signal) for s in signals)
        sentence = f"Prompted because of: {names}. {_ALWAYS}"
        if history_sentence is not None:
            sentence = f"{sentence} {history_sentence}"
        return expected, PromptCause.RISK_SIGNALS, sentence
    if expected and not event.mfa_prompted:
        why = (
            "Risk signals fired but no prompt was recorded. " + _ALWAYS
            if signals
            else (history_sentence or "") + " Yet no prompt was recorded."
        )
        return expected, PromptCause.MISSED_PROMPT, f"{why} Escalate to a team lead."
    if history_sentence is not None:
        return expected, PromptCause.NO_TRUSTED_HISTORY, history_sentence
    if event.mfa_prompted:
        return (
            expected,
            PromptCause.PERIODIC_REVERIFICATION,
            "Recognised device and location and no risk signal in this history: most likely "
            "a periodic re-verification of a trusted device (or a signal this log does not "
            "record, such as a password change).",
        )
    return (
        expected,
        PromptCause.TRUSTED,
        "Recognised device and location with no risk signal: adaptive MFA let this "
        "sign-in through without a prompt.",
    )


def explain_signins(
    events: Sequence[SignIn],
    *,
    trusted_window_days: int = DEFAULT_TRUSTED_WINDOW_DAYS,
    max_speed_kmh: float = IMPOSSIBLE_SPEED_KMH,
    min_travel_km: float = MIN_TRAVEL_KM,
) -> list[SignInExplanation]:
    """Explain every sign-in (oldest first), each judged only from the ones before it.

    A device or location counts as recognised when a *trusted* sign-in (see
    `SignIn.trusted`) used it within `trusted_window_days`. When nothing at all
    is trusted within the window, novelty is meaningless (everything is new),
    so no new-device/new-location signal is raised; the prompt is expected
    anyway and the explanation says why. Impossible travel is measured from
    the previous trusted sign-in, so an attacker's failed attempt from afar
    does not make the real user's next sign-in look impossible.
    """
    if trusted_window_days < 1:
        raise ValueError("trusted_window_days must be at least 1")
    window = timedelta(days=trusted_window_days)
    device_seen: dict[str, datetime] = {}
    location_seen: dict[tuple[str, str], datetime] = {}
    last_trusted: SignIn | None = None
    previous_at: datetime | None = None
    result: list[SignInExplanation] = []

    for index, event in enumerate(events):
        if previous_at is not None and event.at < previous_at:
            raise ValueError("sign-in events must be ordered oldest to newest")
        previous_at = event.at
        window_start = event.at - window

        history_sentence: str | None = None
        candidates: list[RiskSignal | None] = []
        if last_trusted is None or last_trusted.at < window_start:
            history_sentence = _no_history_sentence(index > 0, last_trusted, trusted_window_days)
        else:
            candidates.append(
                _device_signal(
                    event, device_seen.get(event.device_id), window_start, trusted_window_days
                )
            )
            candidates.append(
                _location_signal(
                    event,
                    location_seen.get(_location_key(event)),
                    window_start,
                    trusted_window_days,
                )
            )
        candidates.append(_travel_signal(event, last_trusted, max_speed_kmh, min_travel_km))
        candidates.append(_ip_signal(event))
        signals = tuple(s for s in candidates if s is not None)

        expected, cause, sentence = _judge(event, signals, history_sentence)
        result.append(
            SignInExplanation(
                event=event,
                signals=signals,
                prompt_expected=expected,
                prompt_matches=expected == event.mfa_prompted,
                cause=cause,
                explanation=sentence,
            )
        )
        if event.trusted:
            device_seen[event.device_id] = event.at
            location_seen[_location_key(event)] = event.at
            last_trusted = event
    return result


def why_prompted(
    events: Sequence[SignIn], *, trusted_window_days: int = DEFAULT_TRUSTED_WINDOW_DAYS
) -> SignInExplanation | None:
    """The explanation for the most recent prompted sign-in, or None if none was prompted."""
    explained = explain_signins(events, trusted_window_days=trusted_window_days)
    return next((e for e in reversed(explained) if e.event.mfa_prompted), None)
