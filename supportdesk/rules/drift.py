"""How far the user's phone clock is from ours, measured from the codes it shows.

An authenticator app turns the phone's clock into a 30-second counter and the
counter into a code. When the user reads out a code, we search the counters
around our own for the one that produces it: the offset found is the phone's
clock drift, to within one step. The article's rule is that a drift of more
than 30 seconds makes codes fail, so the desk needs this number, and an honest
range around it, to tell the agent whether the clock is the problem.

Pure: the caller passes ``now``; nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import calendar
import hmac
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import pyotp

__all__ = [
    "CodeFormatError",
    "DriftRange",
    "DriftResult",
    "find_drift",
    "format_duration",
]

_DIGITS_ONLY = re.compile(r"[0-9]+")


class CodeFormatError(ValueError):
    """A code as typed cannot be a TOTP code (wrong length, not digits).

    A ValueError so the service can answer it with HTTP 422 and the message
    as-is: the message is written for the agent.
    """


def format_duration(seconds: float) -> str:
    """Say a length of time the way an agent would read it out: "2 min 30 s"."""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts: list[str] = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs or not parts:
        parts.append(f"{secs} s")
    return " ".join(parts)


def _round_up(seconds: float) -> int:
    """Whole seconds, rounded away from zero so a stated bound is never too tight.

    Float noise (15.000000001) is not a reason to say 16 s.
    """
    return math.ceil(round(seconds, 6))


@dataclass(frozen=True)
class DriftRange:
    """The phone's clock minus the server's clock, known to lie in [low_s, high_s].

    Positive means the phone is fast, negative that it is slow. Every
    measurement of drift is a range, not a point: a code only pins the clock
    to a 30-second step, a time read without seconds to a whole minute.
    """

    low_s: float
    high_s: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low_s) and math.isfinite(self.high_s)):
            raise ValueError("a drift range needs finite bounds")
        if self.low_s > self.high_s:
            raise ValueError(f"drift range is upside down: {self.low_s} > {self.high_s}")

    @property
    def center_s(self) -> float:
        """The best single estimate: the middle of the range."""
        return (self.low_s + self.high_s) / 2

    @property
    def half_width_s(self) -> float:
        """How far the true drift may be from the centre, either way."""
        return (self.high_s - self.low_s) / 2

    def contains(self, seconds: float) -> bool:
        """Whether a drift of ``seconds`` is consistent with this measurement."""
        return self.low_s <= seconds <= self.high_s

    def overlaps(self, other: DriftRange, slack_s: float = 0.0) -> bool:
        """Whether two measurements can describe the same clock (within ``slack_s``)."""
        return self.low_s - slack_s <= other.high_s and other.low_s - slack_s <= self.high_s

    def describe(self) -> str:
        """One phrase for the agent: "phone is 2 min 30 s ± 15 s slow"."""
        if self.low_s <= 0 <= self.high_s:
            widest = max(abs(self.low_s), abs(self.high_s))
            return f"phone is in step, within {format_duration(_round_up(widest))}"
        direction = "fast" if self.center_s > 0 else "slow"
        spread = format_duration(_round_up(self.half_width_s))
        return f"phone is {format_duration(self.center_s)} ± {spread} {direction}"


@dataclass(frozen=True)
class DriftResult:
    """What the codes the user read out say about the phone's clock.

    ``offset_steps`` is the step the phone is on now (the step of the last
    code read) relative to the server's current step; when a lone code matches
    several steps by chance, it is the one nearest to now and ``unique`` is
    False, with every match listed in ``candidates`` (nearest first).
    The drift fields are None when nothing matched.
    """

    matched: bool
    offset_steps: int | None
    candidates: tuple[int, ...]
    unique: bool
    drift_seconds_low: float | None
    drift_seconds_high: float | None
    drift_seconds: float | None
    phrase: str
    codes_used: int
    window_steps: int
    step: int
    seconds_into_step: float
    reading_lag_s: float

    @property
    def drift(self) -> DriftRange | None:
        """The drift range of the reported offset, or None when nothing matched."""
        if self.offset_steps is None:
            return None
        return self.drift_for(self.offset_steps)

    def drift_for(self, offset_steps: int) -> DriftRange:
        """The drift range implied by the phone being ``offset_steps`` steps from ours.

        The server is ``seconds_into_step`` into its current step, so a phone on
        step k is between k*step - that and (k+1)*step - that seconds ahead; a
        code read a little before it was entered widens the top by the lag.
        """
        low = offset_steps * self.step - self.seconds_into_step
        return DriftRange(low, low + self.step + self.reading_lag_s)


def _search_order(window_steps: int) -> Iterator[int]:
    """Offsets nearest to now first: 0, -1, +1, -2, +2, …"""
    yield 0
    for distance in range(1, window_steps + 1):
        yield -distance
        yield distance


def _clean_codes(codes: Sequence[str], digits: int) -> list[str]:
    """Strip what people type around codes and refuse what cannot be a code.

    The same code read twice in a row (the user did not wait for it to change)
    is kept once: it says nothing more, and treating it as two consecutive
    codes would make a good clock look like a stale secret.
    """
    if isinstance(codes, str):
        raise TypeError("codes must be a sequence of codes, not one string")
    if not codes:
        raise CodeFormatError("type the code the user reads from the app")
    cleaned: list[str] = []
    for index, raw in enumerate(codes):
        code = "".join(raw.split())
        prefix = f"code {index + 1}: " if len(codes) > 1 else ""
        if code and not _DIGITS_ONLY.fullmatch(code):
            raise CodeFormatError(f"{prefix}codes are digits only")
        if len(code) != digits:
            raise CodeFormatError(f"{prefix}a code has {digits} digits; got {len(code)}")
        if not cleaned or cleaned[-1] != code:
            cleaned.append(code)
    return cleaned


def _server_position(now: datetime, step: int) -> tuple[int, float]:
    """The server's step counter and how many seconds it is into that step."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (the server's UTC time)")
    whole = calendar.timegm(now.utctimetuple())
    counter, into = divmod(whole, step)
    return counter, into + now.microsecond / 1_000_000


def find_drift(
    secret: str,
    codes: Sequence[str],
    now: datetime,
    window_steps: int = 240,
    step: int = 30,
    digits: int = 6,
    *,
    reading_lag_s: float = 0.0,
) -> DriftResult:
    """Find the phone's clock offset from the codes the user read, in order.

    ``codes`` are read from the app in order, the last one still on screen at
    ``now``; two or more must be consecutive (the user reads one, waits for the
    next). Offsets are searched nearest first within ±``window_steps`` steps
    (default ±2 h). ``reading_lag_s`` is how long before ``now`` the last code
    may have been read, which widens the drift range by that much.

    Raises CodeFormatError for a code that cannot be one.
    """
    if window_steps < 0:
        raise ValueError("window_steps cannot be negative")
    if step <= 0:
        raise ValueError("step must be a positive number of seconds")
    if reading_lag_s < 0:
        raise ValueError("reading_lag_s cannot be negative")
    cleaned = _clean_codes(codes, digits)
    counter, into_step = _server_position(now, step)
    totp = pyotp.TOTP(secret, digits=digits, interval=step)

    expected: dict[int, str] = {}

    def code_at(offset: int) -> str | None:
        if counter + offset < 0:
            return None
        if offset not in expected:
            expected[offset] = totp.at(now, counter_offset=offset)
        return expected[offset]

    def matches(last_offset: int, wanted: Sequence[str]) -> bool:
        first_offset = last_offset - len(wanted) + 1
        for position, code in enumerate(wanted):
            shown = code_at(first_offset + position)
            if shown is None or not hmac.compare_digest(shown, code):
                return False
        return True

    candidates = tuple(k for k in _search_order(window_steps) if matches(k, cleaned))
    result = DriftResult(
        matched=bool(candidates),
        offset_steps=candidates[0] if candidates else None,
        candidates=candidates,
        unique=len(candidates) == 1,
        drift_seconds_low=None,
        drift_seconds_high=None,
        drift_seconds=None,
        phrase="",
        codes_used=len(cleaned),
        window_steps=window_steps,
        step=step,
        seconds_into_step=into_step,
        reading_lag_s=reading_lag_s,
    )
    window_text = format_duration(window_steps * step)
    drift = result.drift
    if drift is None:
        phrase = f"no match within ±{window_text} of the server's time"
        if len(cleaned) > 1 and all(
            any(matches(k, [code]) for k in _search_order(window_steps)) for code in cleaned
        ):
            phrase += (
                "; each code matches on its own but they are not consecutive:"
                " read one code, then the very next one when it changes"
            )
        return replace(result, phrase=phrase)

    phrase = drift.describe()
    if len(candidates) > 1:
        others = len(candidates) - 1
        phrase += (
            f"; but this code also matches {others} other time{'s' if others > 1 else ''}"
            f" within ±{window_text}: read the next code to be sure"
        )
    return replace(
        result,
        drift_seconds_low=drift.low_s,
        drift_seconds_high=drift.high_s,
        drift_seconds=drift.center_s,
        phrase=phrase,
    )
