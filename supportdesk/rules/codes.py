"""Codes people type or read out: one normaliser for every screen and endpoint.

An agent types what the user reads over the phone: "451 909", "451-909", or
digits pasted from a chat in full-width form. All of those mean the same code.
Anything else (letters, seven digits) is the wrong shape: it is refused with a
message before it is compared, so a typo never spends an attempt.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

SEPARATORS = frozenset(" \t-\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2212\u3000._")
"""Spaces (plain, no-break, thin, ideographic), dashes and dots: how people group digits."""


@dataclass(frozen=True)
class CodeShape:
    """What a normalised code must look like, and how to say so when it does not."""

    digits: int = 6
    what: str = "code"

    @property
    def rule(self) -> str:
        return f"a {self.what} is {self.digits} digits (spaces and dashes are fine)"


SIX_DIGITS = CodeShape()


def digits_only(text: str) -> str | None:
    """The ASCII digits of ``text`` with separators dropped, or None if anything else is in it.

    Full-width and other Unicode decimal digits count as digits (NFKC folds them).
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    out: list[str] = []
    for ch in folded:
        if ch in SEPARATORS:
            continue
        if not ch.isdecimal():
            return None
        out.append(str(unicodedata.decimal(ch)))
    return "".join(out)


def normalise_code(text: str, shape: CodeShape = SIX_DIGITS) -> str | None:
    """The code as ASCII digits if it has the right shape, else None."""
    digits = digits_only(text)
    if digits is None or len(digits) != shape.digits:
        return None
    return digits


def code_problem(text: str, shape: CodeShape = SIX_DIGITS) -> str | None:
    """Why a typed code cannot be checked (None when it can): shown in the field, spends nothing."""
    digits = digits_only(text)
    if digits is None:
        return f"That is not a code: {shape.rule}."
    if not digits:
        return f"Type the {shape.what}: {shape.rule}."
    if len(digits) != shape.digits:
        return f"That has {len(digits)} digits: {shape.rule}."
    return None
