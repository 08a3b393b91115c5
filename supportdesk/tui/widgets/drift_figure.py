"""The phone's clock drift as one large figure the agent can read across the desk.

A drift is the one number this branch is about ("your phone is two and a half
minutes slow"), so it is drawn big, with the honest range and where the
measurement came from beside it in words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Digits, Static

if TYPE_CHECKING:
    from supportdesk.api.totp import TotpDiagnosis

BASIS_WORDS = {
    "codes": "measured from the codes",
    "phone_clock": "measured from the time on the phone",
    "none": "nothing measured yet",
}


def drift_digits(seconds: float) -> str:
    """A signed clock-style figure for Digits: "-2:25", "+0:05", "-59:57", "+1:00:00"."""
    sign = "-" if seconds < 0 else "+"
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def drift_caption(diagnosis: TotpDiagnosis) -> str:
    """The words beside the figure: unit and direction, the range, what it rests on."""
    drift = diagnosis.drift
    if drift is None:
        return "[b]no drift measured[/b]\n" + BASIS_WORDS["none"]
    unit = "h:min:s" if abs(drift.center_s) >= 3600 else "min:s"
    way = "slow" if drift.center_s < 0 else "fast"
    if drift.low_s <= 0 <= drift.high_s:
        way = "in step"
    basis = BASIS_WORDS.get(diagnosis.basis, diagnosis.basis)
    codes = diagnosis.codes
    if diagnosis.basis == "codes" and codes is not None:
        read = f"{codes.codes_used} code{'s' if codes.codes_used > 1 else ''}"
        match = "one match" if codes.unique else f"{codes.other_matches + 1} matches"
        basis = f"from {read}, {match}"
    certainty = "" if diagnosis.certain else " · [b]not certain[/b]"
    return f"[b]{unit} {way}[/b]\n{escape(drift.phrase)}\n{escape(basis)}{certainty}"


class DriftFigure(Horizontal):
    """Digits on the left, the caption on the right; empty until a diagnosis is shown."""

    def compose(self) -> ComposeResult:
        yield Digits("", id="drift-digits")
        yield Static("", id="drift-caption")

    def show(self, diagnosis: TotpDiagnosis) -> None:
        digits = self.query_one("#drift-digits", Digits)
        drift = diagnosis.drift
        digits.update(drift_digits(drift.center_s) if drift is not None else "--:--")
        self.query_one("#drift-caption", Static).update(drift_caption(diagnosis))
