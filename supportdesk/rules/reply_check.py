"""What must never be in a reply to a user: a one-time code, an authenticator seed, a
temporary access code or a full phone number.

A reply leaves the desk by e-mail or messenger, where anyone who reads it later can use
what it carries. The check runs before a reply is sent; each problem names its kind, where
it is (``start``/``end``, for the desk to highlight) and what to do instead. Messages
never repeat the value itself, so they are safe to show, store and log. Masked numbers
("•••• 1234"), ticket numbers ("T-1042"), user ids, dates and times pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import phonenumbers

ProblemKind = Literal["totp_seed", "access_code", "one_time_code", "phone_number"]

DEFAULT_REGIONS: Final = ("GB", "DE", "ES", "PL", "FR", "US")
"""Where national-format numbers are recognised (international "+" numbers everywhere)."""

MESSAGES: Final[dict[ProblemKind, str]] = {
    "totp_seed": (
        "This looks like an authenticator secret key. Whoever reads it can make the user's "
        "codes: never send a seed, send the user to set the app up again instead."
    ),
    "access_code": (
        "This looks like a temporary access code. Read it out on a verified call; "
        "never send it in writing."
    ),
    "one_time_code": (
        "This looks like a one-time code. Never send a code in a reply: the user reads "
        "codes to you, or the desk sends a fresh one from the SMS screen."
    ),
    "phone_number": ("This is a full phone number. Show only its last digits, like •••• 1234."),
}

_B32: Final = "A-Z2-7"
_ACCESS: Final = "A-HJ-NP-Z2-9"
_VOWELS: Final = frozenset("AEIOUY")
_SEED_PATTERNS: Final = (
    re.compile(r"otpauth://\S+", re.IGNORECASE),
    re.compile(rf"(?<![A-Za-z0-9])(?:[{_B32}]{{4}}[ -]){{3,}}[{_B32}]{{4,}}=*(?![A-Za-z0-9])"),
    re.compile(rf"(?<![A-Za-z0-9])[{_B32}]{{16,}}=*(?![A-Za-z0-9])"),
    re.compile(r"(?<![A-Za-z0-9])(?:[a-z2-7]{4} ){3,}[a-z2-7]{4,}(?![A-Za-z0-9])"),
    re.compile(r"(?<![A-Za-z0-9])[A-Za-z2-7]{16,}=*(?![A-Za-z0-9])"),
    re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])"),
)
_ACCESS_PATTERNS: Final = (
    re.compile(
        rf"(?<![A-Za-z0-9])[{_ACCESS}]{{4}}([- ])[{_ACCESS}]{{4}}\1[{_ACCESS}]{{4}}(?![A-Za-z0-9])",
        re.IGNORECASE,
    ),
    re.compile(rf"(?<![A-Za-z0-9])[{_ACCESS}]{{12}}(?![A-Za-z0-9])"),
)
_CODE: Final = re.compile(
    r"(?<![\w•*/+#-])(?<!\d[.,:])(?<!\d[ -])"
    r"(\d{6,8}|\d{3}[ -]\d{3}|\d{2} \d{2} \d{2}|\d{4}[ -]\d{4})"
    r"(?![\w/-]|[.,:]\d|[ -]\d)"
)
"""Six to eight digits, alone or grouped 3+3, 2+2+2 or 4+4; not part of a longer number,
a decimal, a time, a date, an id ("u1023", "T-104211") or a masked number."""
_INTERNATIONAL: Final = re.compile(r"(?<![\w+])\+\d[\d \-().]{5,22}\d(?!\w)")


@dataclass(frozen=True)
class ReplyProblem:
    """Something in the reply that must not be sent, and what to do about it."""

    kind: ProblemKind
    start: int
    end: int
    message: str


def check_reply(text: str, *, regions: Sequence[str] = DEFAULT_REGIONS) -> list[ReplyProblem]:
    """Every problem in ``text``, in order; an empty list means the reply may be sent."""
    found: list[ReplyProblem] = []
    for kind, start, end in _candidates(text, regions):
        if any(start < p.end and p.start < end for p in found):
            continue
        found.append(ReplyProblem(kind, start, end, MESSAGES[kind]))
    return sorted(found, key=lambda p: p.start)


def _candidates(text: str, regions: Sequence[str]) -> Iterator[tuple[ProblemKind, int, int]]:
    """Spans by kind, most specific kind first (a seed is not also reported as a code)."""
    for pattern in _SEED_PATTERNS:
        for match in pattern.finditer(text):
            if _looks_like_seed(match.group(0)):
                yield "totp_seed", match.start(), match.end()
    for pattern in _ACCESS_PATTERNS:
        for match in pattern.finditer(text):
            if _looks_like_access_code(match.group(0)):
                yield "access_code", match.start(), match.end()
    for match in _CODE.finditer(text):
        yield "one_time_code", match.start(), match.end()
    yield from _phone_numbers(text, regions)


def _looks_like_seed(value: str) -> bool:
    if value.lower().startswith("otpauth://"):
        return True
    grouped = " " in value or "-" in value
    chars = value.replace(" ", "").replace("-", "").rstrip("=")
    digits = sum(c.isdigit() for c in chars)
    if all(c in "0123456789abcdefABCDEF" for c in chars):
        return digits >= 4 and any(c.isalpha() for c in chars)
    if chars.isupper():
        # "THIS CODE WILL WORK" is shouting, not a seed; a 16-letter run is not a word.
        return digits >= 1 or not grouped
    return digits >= 2


def _looks_like_access_code(value: str) -> bool:
    """Tell the desk's codes from four-letter English words ("make sure that").

    Three dashed groups of four are a code in any case: prose does not join words so.
    A twelve-character run (matched in upper case only) is a code when it has a letter.
    Space-separated groups are a code when they hold a digit next to letters, or a group
    no English word could be, one without a vowel ("NGLM"); a code made of pronounceable
    letter groups alone cannot be told from a sentence when spaced.
    """
    if "-" in value:
        return True
    letters = [c for c in value if c.isalpha()]
    if not letters:
        return False
    if " " not in value:
        return True
    has_digit = any(c.isdigit() for c in value)
    return has_digit or any(not (set(group.upper()) & _VOWELS) for group in value.split())


def _phone_numbers(text: str, regions: Sequence[str]) -> Iterator[tuple[ProblemKind, int, int]]:
    for region in regions:
        for found in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        ):
            yield "phone_number", found.start, found.end
    # A "+" number is a full number wherever it is from, even one the metadata calls invalid.
    for match in _INTERNATIONAL.finditer(text):
        digits = sum(c.isdigit() for c in match.group(0))
        if 8 <= digits <= 15:
            yield "phone_number", match.start(), match.end()
