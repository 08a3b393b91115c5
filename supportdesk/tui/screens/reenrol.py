"""The confirmation before re-enrolling an authenticator app that holds an old secret."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Select, Static

from supportdesk.api.errors import Conflict, Forbidden, InvalidInput
from supportdesk.api.recovery import RecoveryResult
from supportdesk.api.totp import TotpReenrolment
from supportdesk.rules.factor_words import method_words as method_phrase
from supportdesk.rules.policy import Check, Target, TargetKind, sensitivity
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.screens.challenge import ChallengeDialog
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.verification_checklist import ATTESTED_LABELS, verified_line

if TYPE_CHECKING:
    from supportdesk.api.models import Factor, Ticket, UserProfile
    from supportdesk.api.recovery import ChallengeAnswered

CHALLENGE_HINT = (
    "[b]c[/b]  Send a code to the e-mail on file or by text, for the user to read back:"
    " the strongest check."
)


def first_name(profile: UserProfile) -> str:
    return profile.name.split()[0] if profile.name.strip() else "the user"


def reenrol_consequence(profile: UserProfile, factor: Factor) -> str:
    """What re-enrolment does, in the words the agent reads before confirming."""
    name = first_name(profile)
    others = sorted({method_phrase(f.type) for f in profile.factors if f.id != factor.id})
    text = (
        f"The secret in {escape(factor.label)} is retired now: every code it shows will be"
        f" refused. At the next sign-in Alvys shows a new QR code; {escape(name)} removes the"
        " old Alvys entry from the app and scans the new one."
    )
    if others:
        return text + f" Until then {escape(name)} signs in with {' or '.join(others)}."
    return text + f" [b]{escape(name)} has no other method[/b]: the next sign-in goes to setup."


class ReenrolScreen(DeskModal[TotpReenrolment | RecoveryResult | None]):
    """The confirmation: the consequence, what the policy needs, then the call.

    The strongest identity check is a code the service sends (to the e-mail on
    file or an SMS factor) and the user reads back, through the lost-device
    screen's `ChallengeDialog`; it counts by its verification id, never as a
    box to tick. Never through the app being re-enrolled: its secret is the
    thing in doubt. Checks the agent did themselves are chosen from a list.

    On a sensitive account the call files a request for a team lead (a `RecoveryResult`
    awaiting approval) instead of re-enrolling. The body scrolls, so the buttons stay
    on screen at 80×24.
    """

    CSS_PATH = stylesheet("authenticator")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="reenrol.cancel"),
        Binding("c", "challenge", "Send a code", id="reenrol.challenge"),
    ]

    def __init__(self, profile: UserProfile, ticket: Ticket, factor: Factor) -> None:
        super().__init__()
        self.profile = profile
        self.ticket = ticket
        self.factor = factor
        self.verified: list[ChallengeAnswered] = []
        """Challenges the service checked: their ids go with the request."""
        self.closed = False
        """Refused for good (the policy, a request already waiting): nothing to send."""
        self.key = uuid.uuid4().hex  # one key per confirmation: a retry never acts twice

    def compose(self) -> ComposeResult:
        name = escape(self.profile.name)
        with Vertical(id="reenrol-dialog", classes="dialog"):
            yield Static(f"Re-enrol {name}'s authenticator app?", classes="dialog-title")
            with VerticalScroll(id="reenrol-body"):
                yield Static(
                    reenrol_consequence(self.profile, self.factor), id="reenrol-consequence"
                )
                yield Static(self.needs(), id="reenrol-needs")
                yield Static(CHALLENGE_HINT, id="reenrol-verified")
                yield Select(
                    [(label, check.value) for check, label in ATTESTED_LABELS.items()],
                    prompt="Or a check you did yourself",
                    id="reenrol-check",
                    compact=True,
                )
                yield Input(placeholder="Reason, for the audit log", id="reenrol-reason")
                yield Static("", id="reenrol-message")
            with Horizontal(id="reenrol-buttons"):
                yield Button("Send a code (c)", id="reenrol-challenge")
                label = "Send to a lead" if self.sensitive_because() else "Re-enrol"
                yield Button(label, id="reenrol", variant="error")

    def sensitive_because(self) -> tuple[str, ...]:
        p = self.profile
        target = Target(
            kind=TargetKind(p.kind),
            is_admin=p.is_admin,
            is_staff=p.is_staff,
            last_mfa_reset_at=p.last_mfa_reset_at,
            factor_count=len(p.factors),
        )
        return sensitivity(target, self.desk.now())

    def needs(self) -> str:
        """The policy's requirements, said before the agent submits."""
        why = self.sensitive_because()
        text = "Needs one identity check and a reason; both go in the audit log."
        if why:
            text += f" [b]{' '.join(why)} A team lead must approve.[/b]"
        return text

    def on_mount(self) -> None:
        self.query_one("#reenrol-challenge", Button).focus()

    def _say(self, text: str) -> None:
        message = self.query_one("#reenrol-message", Static)
        message.update(escape(text))
        if text:  # the body may be scrolled: the message must be seen
            self.call_after_refresh(message.scroll_visible, animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "challenge":
            return not self.closed
        return super().check_action(action, parameters)

    @on(Button.Pressed, "#reenrol-challenge")
    def action_challenge(self) -> None:
        """The lost-device screen's challenge, with the app being re-enrolled left out."""
        self.app.push_screen(
            ChallengeDialog(self.profile, self.ticket.id, {self.factor.id}), self._challenged
        )

    def _challenged(self, answered: ChallengeAnswered | None) -> None:
        if answered is None:
            return
        self.verified = [v for v in self.verified if v.id != answered.id] + [answered]
        zone = self.desk.display_zone
        self.query_one("#reenrol-verified", Static).update(
            "\n".join(verified_line(v, zone) for v in self.verified)
        )
        self._say("")
        self.query_one("#reenrol-reason", Input).focus()

    @on(Input.Submitted, "#reenrol-reason")
    @on(Button.Pressed, "#reenrol")
    def submit(self) -> None:
        check = self.query_one("#reenrol-check", Select).value
        reason = self.query_one("#reenrol-reason", Input).value.strip()
        attested = [Check(check)] if isinstance(check, str) else []
        if not attested and not self.verified:
            self._say("Send a code for the user to read back (c), or choose a check you did.")
            self.query_one("#reenrol-challenge", Button).focus()
            return
        if not reason:
            self._say("Write a reason: why the app needs a new QR code.")
            self.query_one("#reenrol-reason", Input).focus()
            return
        self.query_one("#reenrol", Button).disabled = True
        self.reenrol(attested, [v.id for v in self.verified], reason)

    @work(exclusive=True, exit_on_error=False)
    async def reenrol(
        self, attested: list[Check], verification_ids: list[str], reason: str
    ) -> None:
        key = self.key
        try:
            done = await self.desk.call(
                lambda b: b.reenrol_totp(
                    self.profile.id,
                    self.ticket.id,
                    reason=reason,
                    verification=attested,
                    verification_ids=verification_ids,
                    factor_id=self.factor.id,
                    idempotency_key=key,
                ),
                expect=(InvalidInput, Forbidden, Conflict),
            )
        except InvalidInput as exc:
            # Refused and nothing changed: the corrected request is a new one, with a new key.
            self.key = uuid.uuid4().hex
            self._say(exc.message)
            self.query_one("#reenrol", Button).disabled = False
            return
        except (Forbidden, Conflict) as exc:
            # Not something a retry fixes: the policy's own words take the form's place.
            for widget_id in (
                "#reenrol-verified",
                "#reenrol-check",
                "#reenrol-reason",
                "#reenrol-challenge",
                "#reenrol",
            ):
                self.query_one(widget_id).display = False
            self._say(exc.message + " Press Esc to go back.")
            self.closed = True
            self.refresh_bindings()
            return
        self.dismiss(done)

    def action_cancel(self) -> None:
        self.dismiss(None)
