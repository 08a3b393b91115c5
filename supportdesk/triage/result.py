"""What triage answers about one ticket: the best branch, how sure, and the runner-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from supportdesk.rules.tree import Branch

__all__ = ["UNSURE", "UNSURE_BELOW", "Guess", "Source", "Triage"]

UNSURE = "unsure"
"""The code shown instead of a branch when the best guess is below the threshold."""

UNSURE_BELOW = 0.5
"""Confidence under which the desk says "unsure". Chosen from cross-validation
(bench/triage.py): at 0.5 about one ticket in twenty-five is unsure, and the rest are
right about 97 % of the time."""

Source = Literal["model", "keywords", "empty"]
"""Who made the guess: the trained classifier, the keyword fallback while it loads,
or nobody (a ticket with no words in it)."""


@dataclass(frozen=True, slots=True)
class Guess:
    branch: Branch
    confidence: float
    """A probability from the calibrated classifier, 0..1 (0 for a keyword guess)."""


@dataclass(frozen=True, slots=True)
class Triage:
    """The classifier's answer for one ticket.

    ``top`` holds the best two guesses, best first (one for a keyword guess, none for
    an empty ticket). ``branch`` is ``None`` when the desk should say "unsure".
    """

    top: tuple[Guess, ...]
    threshold: float = UNSURE_BELOW
    source: Source = "model"

    @property
    def best(self) -> Guess | None:
        return self.top[0] if self.top else None

    @property
    def confidence(self) -> float:
        return self.top[0].confidence if self.top else 0.0

    @property
    def unsure(self) -> bool:
        return self.source != "model" or self.confidence < self.threshold

    @property
    def branch(self) -> Branch | None:
        """The branch to open, or ``None`` when the guess is too weak to act on."""
        best = self.best
        return None if best is None or self.unsure else best.branch

    @property
    def code(self) -> str:
        """The branch's code, or ``"unsure"``: what the CLI prints."""
        branch = self.branch
        return UNSURE if branch is None else branch.value

    def as_json(self) -> dict[str, object]:
        """The shape of ``supportdesk triage --json`` (one object per ticket)."""
        return {
            "branch": self.code,
            "confidence": round(self.confidence, 3),
            "top": [
                {"branch": guess.branch.value, "confidence": round(guess.confidence, 3)}
                for guess in self.top
            ],
            "source": self.source,
        }

    @classmethod
    def empty(cls) -> Triage:
        """The answer for a ticket with no words: nothing to go on."""
        return cls(top=(), source="empty")
