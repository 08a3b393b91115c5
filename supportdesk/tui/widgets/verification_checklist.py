"""The identity checklist behind a reset or an access code.

Challenges come first because they are the strongest check: the service sent
a code to something the user still holds (or their mailbox) and checked the
read-back itself, so they appear here only as verified results, never as a
box to tick. The other checks are ones the agent performs and attests to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from supportdesk.rules.policy import CHECKS, Check
from supportdesk.tui.words.recovery import CHECK_WORDS

if TYPE_CHECKING:
    from datetime import tzinfo

    from supportdesk.api.recovery import ChallengeAnswered

ATTESTED_LABELS: dict[Check, str] = {
    Check.ACCOUNT_OWNER_CALLBACK: "Company account owner confirmed on a call-back (strong)",
    Check.EMAIL_ORIGIN: "The request came from the e-mail on file (weak)",
    Check.LAST_SIGNIN_LOCATION: "User named the city of their last sign-in (weak)",
    Check.TICKET_HISTORY: "User confirmed details of an earlier ticket (weak)",
}
"""Checks the agent performs and ticks; the order puts the strong one first."""

CHALLENGE_PROMPT = (
    "[b]c[/b]  Challenge first (strongest): send a code to a factor the user still holds, "
    "or to the e-mail on file, and have them read it back."
)
TICK_HINT = "Checks you did yourself: [b]↓[/b] to the list, [b]Space[/b] ticks or unticks one."


def counts_for_nothing(ticked: set[Check], verified: set[Check]) -> list[str]:
    """Ticked checks that add nothing, with why: checks on the same evidence count once."""
    notes: list[str] = []
    for check in sorted(ticked):
        evidence = CHECKS[check].evidence
        twins = [c for c in verified if c is not check and CHECKS[c].evidence is evidence]
        if twins:
            notes.append(
                f"'{ATTESTED_LABELS[check].split(' (')[0]}' adds nothing: the "
                f"{CHECK_WORDS[twins[0].value]} already rests on the same "
                f"{evidence.value}, and checks on one source count once."
            )
    return notes


def verified_line(answered: ChallengeAnswered, zone: tzinfo | None) -> str:
    """One challenge the service checked, as the desk lists it (markup)."""
    return (
        f"[b]✓[/b] {escape(CHECK_WORDS.get(answered.check, answered.check))} read back "
        f"({escape(answered.destination)}), verified by the service at "
        f"{answered.verified_at.astimezone(zone):%H:%M}"
    )


class VerificationChecklist(Vertical):
    """Verified challenges plus the agent's attested checks; says when either changes."""

    class Changed(Message):
        """The set of checks changed: the screen re-reads what each action needs."""

    def __init__(self, *, zone: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.zone = zone
        self.verified: list[ChallengeAnswered] = []

    def compose(self) -> ComposeResult:
        yield Static(CHALLENGE_PROMPT, id="challenge-results")
        yield Static(TICK_HINT, id="tick-hint")
        yield SelectionList[str](
            *(Selection(label, check.value) for check, label in ATTESTED_LABELS.items()),
            id="attested",
        )
        yield Static("", id="check-help")

    def add_verified(self, answered: ChallengeAnswered) -> None:
        """Record a challenge the service checked; it counts from now on."""
        self.verified = [v for v in self.verified if v.id != answered.id] + [answered]
        lines = [verified_line(v, self.zone) for v in self.verified]
        lines.append("[b]c[/b]  Challenge again (another factor or the e-mail on file)")
        self.query_one("#challenge-results", Static).update("\n".join(lines))
        self._explain_overlap()
        self.post_message(self.Changed())

    def focus_list(self) -> None:
        """Put the cursor on the list, on the first check not yet ticked."""
        attested = self.query_one("#attested", SelectionList)
        ticked = set(attested.selected)
        for index, check in enumerate(ATTESTED_LABELS):
            if check.value not in ticked:
                attested.highlighted = index
                break
        attested.focus()

    def attested(self) -> list[str]:
        return sorted(self.query_one("#attested", SelectionList).selected)

    def verification_ids(self) -> list[str]:
        return [v.id for v in self.verified]

    def checks(self) -> set[Check]:
        """Every check that would count: verified challenges and ticked boxes."""
        return {Check(v.check) for v in self.verified} | {Check(c) for c in self.attested()}

    def check_names(self) -> list[str]:
        return sorted(c.value for c in self.checks())

    @on(SelectionList.SelectedChanged, "#attested")
    def _ticked(self) -> None:
        self._explain_overlap()
        self.post_message(self.Changed())

    def _explain_overlap(self) -> None:
        """A tick that counts for nothing says so, instead of silently not counting."""
        ticked = {Check(c) for c in self.attested()}
        verified = {Check(v.check) for v in self.verified}
        notes = counts_for_nothing(ticked, verified)
        if notes:
            self.query_one("#check-help", Static).update(escape(" ".join(notes)))

    @on(SelectionList.SelectionHighlighted, "#attested")
    def _explain(self, event: SelectionList.SelectionHighlighted[str]) -> None:
        check = Check(event.selection.value)
        self.query_one("#check-help", Static).update(escape(CHECKS[check].description))
