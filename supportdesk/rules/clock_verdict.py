"""Turn the clock measurements into one verdict the agent can act on.

The article's branch "Authenticator app code not accepted", as code: a drift
of more than 30 seconds makes codes fail, so the fix is "set date and time to
automatic" (a drift of almost whole hours or half hours means the clock was
set by hand in the wrong time zone, so the zone must be set automatically
too); if the time is right and codes still fail, the app holds an old secret
and the account must be removed from the app and added again with a new QR
code. Each verdict carries a headline and its steps as data for the desk.

Precedence when both measurements are present (see ``clock_verdict``):

1. Codes that match at exactly one offset are authoritative for the clock:
   they measure the clock the authenticator actually uses, to within one
   30-second step. The phone time read out only adds a note if it disagrees.
2. Otherwise the phone time read out decides about the clock; a lone code
   matching several offsets by chance is only a fallback, flagged uncertain.
3. Codes that match nowhere in the search window: a clock off by more than
   the window explains that; a clock inside the window does not (the search
   would have found the codes at that offset), so the secret is stale and the
   user re-enrols, after fixing the clock too if it is also off.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from supportdesk.rules.drift import DriftRange, DriftResult, format_duration
from supportdesk.rules.phone_time import PhoneTimeReading

__all__ = [
    "ANDROID_AUTOMATIC_TIME",
    "ANDROID_AUTOMATIC_ZONE",
    "GOOGLE_AUTHENTICATOR_SYNC",
    "IOS_AUTOMATIC_TIME",
    "IOS_AUTOMATIC_ZONE",
    "MAX_DRIFT_S",
    "OTHER_APPS_USE_PHONE_CLOCK",
    "Verdict",
    "VerdictKind",
    "clock_verdict",
    "verdict_for",
]

VerdictKind = Literal[
    "clock_ok",
    "set_time_automatic",
    "wrong_time_zone",
    "stale_secret",
    "need_more_information",
    "fail_counter_locked",
]
Basis = Literal["codes", "phone_clock", "none"]

MAX_DRIFT_S = 30.0
"""The article: "a time drift of more than 30 seconds will produce codes that fail"."""

ZONE_SLACK_S = 180.0
"""How close to a whole number of half hours a drift must be to blame the time zone."""

HALF_HOUR_S = 1800
DAY_S = 86_400
LARGEST_ZONE_GAP_S = 26 * 3600  # UTC−12 to UTC+14

IOS_AUTOMATIC_TIME = "iPhone or iPad: Settings › General › Date & Time › turn on Set Automatically."
ANDROID_AUTOMATIC_TIME = (
    "Android: Settings › System › Date & time › turn on Set time automatically"
    " (on some phones: Use network-provided time)."
)
IOS_AUTOMATIC_ZONE = (
    "iPhone or iPad: Settings › General › Date & Time › turn on Set Automatically"
    " (this sets the time zone as well as the time)."
)
ANDROID_AUTOMATIC_ZONE = (
    "Android: Settings › System › Date & time › turn on Set time automatically and"
    " Set time zone automatically (on some phones: Use network-provided time and time zone)."
)
SET_ZONE_BY_HAND = (
    "If the clock must be set by hand, choose the time zone where the user is and then"
    " the time; do not move the clock by hours to make it look right."
)
GOOGLE_AUTHENTICATOR_SYNC = (
    "Google Authenticator on Android can also correct its own time:"
    " Settings › Time correction for codes › Sync now."
)
OTHER_APPS_USE_PHONE_CLOCK = (
    "Microsoft Authenticator and Authy have no time setting of their own:"
    " they rely on the phone's clock, so the phone setting above is the fix."
)
TRY_NEWEST_CODE = "Ask the user to sign in again with the newest code, right after it changes."

_AUTOMATIC_TIME_STEPS = (
    IOS_AUTOMATIC_TIME,
    ANDROID_AUTOMATIC_TIME,
    GOOGLE_AUTHENTICATOR_SYNC,
    OTHER_APPS_USE_PHONE_CLOCK,
)
_AUTOMATIC_ZONE_STEPS = (
    IOS_AUTOMATIC_ZONE,
    ANDROID_AUTOMATIC_ZONE,
    SET_ZONE_BY_HAND,
    GOOGLE_AUTHENTICATOR_SYNC,
    OTHER_APPS_USE_PHONE_CLOCK,
)
_REENROL_STEPS = (
    "Check the user reads the code from the Alvys entry in the app, not another account.",
    "Start re-enrolment of the authenticator app here, so Alvys shows a new QR code"
    " at the user's next sign-in.",
    "Ask the user to remove the Alvys account from the authenticator app.",
    "At the next sign-in the user scans the new QR code and enters the current"
    " 6-digit code to finish.",
)
_ASK_PHONE_TIME = "Ask the user what time their phone shows, with the seconds if it shows them."
_ASK_CODES = "Ask the user to read the code in the app, then the next one when it changes."


@dataclass(frozen=True)
class Verdict:
    """What is wrong and what to do, ready for the desk to render.

    ``drift`` is the measurement the verdict rests on and ``basis`` where it
    came from; ``certain`` is False when that measurement cannot settle the
    question (a reading without seconds straddling 30 s, a lone code matching
    several offsets), which ``notes`` then explain.
    """

    kind: VerdictKind
    headline: str
    steps: tuple[str, ...]
    drift: DriftRange | None
    basis: Basis
    certain: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _ClockState:
    kind: Literal["ok", "zone", "off"]
    certain: bool
    zone_gap_s: int


def _assess(drift: DriftRange, max_drift_s: float, zone_slack_s: float) -> _ClockState:
    """Classify a drift by its central estimate; say whether its range agrees."""
    center = drift.center_s
    if abs(center) <= max_drift_s:
        certain = drift.low_s >= -max_drift_s and drift.high_s <= max_drift_s
        return _ClockState("ok", certain, 0)
    certain = drift.low_s > max_drift_s or drift.high_s < -max_drift_s
    half_hours = round(center / HALF_HOUR_S)
    gap = half_hours * HALF_HOUR_S
    if (
        half_hours != 0
        and abs(center - gap) <= zone_slack_s
        and abs(gap) <= LARGEST_ZONE_GAP_S
        and gap % DAY_S != 0  # a whole day off is a wrong date, not a wrong zone
    ):
        return _ClockState("zone", certain, gap)
    return _ClockState("off", certain, 0)


def _clock_steps(state: _ClockState) -> tuple[str, ...]:
    """How to fix the clock: the time zone too when that is what is wrong."""
    return _AUTOMATIC_ZONE_STEPS if state.kind == "zone" else _AUTOMATIC_TIME_STEPS


def _clock_fix(
    drift: DriftRange,
    state: _ClockState,
    basis: Basis,
    notes: tuple[str, ...],
    *,
    certain: bool,
) -> Verdict:
    """The verdict for a clock that is off: by whole (half) hours, or otherwise."""
    steps = (*_clock_steps(state), TRY_NEWEST_CODE)
    if state.kind == "zone":
        direction = "fast" if state.zone_gap_s > 0 else "slow"
        return Verdict(
            kind="wrong_time_zone",
            headline=(
                f"The phone's clock is {format_duration(state.zone_gap_s)} {direction}"
                f" ({drift.describe()}): it was set by hand in the wrong time zone."
                " Set the date, time and time zone to automatic."
            ),
            steps=steps,
            drift=drift,
            basis=basis,
            certain=certain,
            notes=notes,
        )
    return Verdict(
        kind="set_time_automatic",
        headline=(
            f"The {drift.describe()}: more than the {MAX_DRIFT_S:.0f} s authenticator codes"
            " allow. Set the phone's date and time to automatic."
        ),
        steps=steps,
        drift=drift,
        basis=basis,
        certain=certain,
        notes=notes,
    )


def clock_verdict(
    drift: DriftRange | None,
    codes_matched: bool | None,
    *,
    code_drift: DriftRange | None = None,
    codes_unique: bool = True,
    window_s: float = 7200.0,
    max_drift_s: float = MAX_DRIFT_S,
    zone_slack_s: float = ZONE_SLACK_S,
) -> Verdict:
    """Decide what is wrong from the two measurements of the phone's clock.

    ``drift`` comes from the time shown on the phone (None: not asked);
    ``codes_matched`` from the code search (None: no code tried), with
    ``code_drift`` and ``codes_unique`` from the same search and ``window_s``
    its half-width. Precedence is described in the module docstring.
    """
    notes: list[str] = []
    basis: Basis
    measured: DriftRange | None
    if codes_matched and code_drift is not None and (codes_unique or drift is None):
        measured, basis = code_drift, "codes"
        if not codes_unique:
            notes.append(
                "A single code matched more than one time; the nearest was used."
                " Read the next code to be sure."
            )
        elif drift is not None and not drift.overlaps(code_drift, slack_s=max_drift_s):
            notes.append(
                f"The time read from the phone ({drift.describe()}) disagrees with the codes"
                f" ({code_drift.describe()}); the codes show the clock the app really uses."
            )
    elif drift is not None:
        measured, basis = drift, "phone_clock"
    else:
        measured, basis = None, "none"

    window_text = format_duration(window_s)
    if codes_matched is False:
        return _no_match_verdict(measured, basis, window_s, max_drift_s, zone_slack_s)

    if measured is None:
        return Verdict(
            kind="need_more_information",
            headline=(
                "Nothing measured yet: ask for the time on the phone or the code in the app."
            ),
            steps=(_ASK_PHONE_TIME, _ASK_CODES),
            drift=None,
            basis="none",
            certain=False,
        )

    state = _assess(measured, max_drift_s, zone_slack_s)
    certain = state.certain and (basis != "codes" or codes_unique)
    if state.kind != "ok":
        return _clock_fix(measured, state, basis, tuple(notes), certain=certain)

    if not state.certain:
        notes.append(
            f"The measurement ({measured.describe()}) cannot tell for sure whether the drift"
            f" is under {max_drift_s:.0f} s; the seconds on the phone or a code would settle it."
        )
    if codes_matched:
        headline = (
            f"The phone's clock is right ({measured.describe()}) and its code is valid now:"
            " the clock is not the problem."
        )
        steps: tuple[str, ...] = (
            TRY_NEWEST_CODE,
            "Check the user reads the code from the Alvys entry in the app, not another account.",
        )
    else:
        headline = (
            f"The phone's clock is right ({measured.describe()}): the clock is not the problem."
            f" Check a code against the server (searched within ±{window_text})."
        )
        steps = (_ASK_CODES,)
    return Verdict(
        kind="clock_ok",
        headline=headline,
        steps=steps,
        drift=measured,
        basis=basis,
        certain=certain,
        notes=tuple(notes),
    )


def _no_match_verdict(
    measured: DriftRange | None,
    basis: Basis,
    window_s: float,
    max_drift_s: float,
    zone_slack_s: float,
) -> Verdict:
    """Codes matched nowhere: tell a far-off clock apart from a stale secret."""
    window_text = format_duration(window_s)
    if measured is None:
        return Verdict(
            kind="need_more_information",
            headline=(
                f"The code matches nowhere within ±{window_text}. Ask what time the phone"
                " shows: if it is right, the app holds an old secret and must be re-enrolled."
            ),
            steps=(_ASK_PHONE_TIME,),
            drift=None,
            basis="none",
            certain=False,
        )
    state = _assess(measured, max_drift_s, zone_slack_s)
    if abs(measured.center_s) > window_s:
        note = (
            f"The clock is off by more than the ±{window_text} the codes were searched in;"
            " if codes still fail once it is fixed, re-enrol the authenticator app."
        )
        return _clock_fix(measured, state, basis, (note,), certain=state.certain)
    if state.kind == "ok":
        return Verdict(
            kind="stale_secret",
            headline=(
                f"The phone's clock is right ({measured.describe()}) but the code matches"
                f" nowhere within ±{window_text}: the app holds an old secret."
                " Remove the account from the app and add it again with a new QR code."
            ),
            steps=_REENROL_STEPS,
            drift=measured,
            basis=basis,
            certain=state.certain,
        )
    return Verdict(
        kind="stale_secret",
        headline=(
            f"The code matches nowhere within ±{window_text}, which the clock"
            f" ({measured.describe()}) does not explain: the app holds an old secret."
            " Fix the clock, then remove the account from the app and add it again"
            " with a new QR code."
        ),
        steps=(*_clock_steps(state), *_REENROL_STEPS),
        drift=measured,
        basis=basis,
        certain=True,
    )


def verdict_for(
    codes: DriftResult | None,
    phone: PhoneTimeReading | None,
    *,
    max_drift_s: float = MAX_DRIFT_S,
) -> Verdict:
    """The verdict from whatever the agent measured: codes, phone time, or both.

    A lone code that matches several offsets is made unique by the phone
    time when exactly one of those offsets agrees with it.
    """
    phone_drift = phone.drift if phone is not None else None
    if codes is None:
        return clock_verdict(phone_drift, None, max_drift_s=max_drift_s)
    window_s = float(codes.window_steps * codes.step)
    code_drift = codes.drift
    unique = codes.unique
    if codes.matched and not unique and phone_drift is not None:
        agreeing = [
            k
            for k in codes.candidates
            if codes.drift_for(k).overlaps(phone_drift, slack_s=max_drift_s)
        ]
        if len(agreeing) == 1:
            code_drift, unique = codes.drift_for(agreeing[0]), True
    return clock_verdict(
        phone_drift,
        codes.matched,
        code_drift=code_drift,
        codes_unique=unique,
        window_s=window_s,
        max_drift_s=max_drift_s,
    )
