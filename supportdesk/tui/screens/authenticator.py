"""Branch 2, "authenticator code not accepted": measure the phone's clock, then fix it.

In the article's order: the user reads the code in the app, then the next one
when it changes (two codes make the match certain), and optionally the time
their phone shows. The service answers with the drift, drawn large, the
verdict and the platform steps. When the app holds an old secret the agent
re-enrols it, behind a confirmation that says what the user will meet and
takes a code the user reads back (sent by the service, never through the app
being re-enrolled) or a check the agent did; on a sensitive account the
confirmation sends the request to a team lead instead, and the approvals
inbox carries it out once a lead approves.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ContentSwitcher, Footer, Input, Select, Static

from supportdesk.api.errors import ApiError, Conflict, Forbidden, InvalidInput, RateLimited
from supportdesk.api.recovery import RecoveryResult
from supportdesk.rules.policy import Check, Target, TargetKind, sensitivity
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.screens.branch_base import BranchScreen
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.drift_figure import DriftFigure
from supportdesk.tui.widgets.verification_challenge import ChallengeDialog
from supportdesk.tui.widgets.verification_checklist import ATTESTED_LABELS, verified_line

if TYPE_CHECKING:
    from supportdesk.api.models import Factor, Ticket, UserProfile
    from supportdesk.api.recovery import ChallengeAnswered
    from supportdesk.api.totp import TotpDiagnosis, TotpReenrolment

FEATURE = "totp_diagnose"
CODE_FIELDS = ("code-now", "code-next")
FIELDS = (*CODE_FIELDS, "phone-time")

VERDICT_TITLES = {
    "clock_ok": "The clock is right",
    "set_time_automatic": "Set the date and time to automatic",
    "wrong_time_zone": "Wrong time zone on a clock set by hand",
    "stale_secret": "The app holds an old secret: re-enrol",
    "need_more_information": "Not enough to go on yet",
}
VERDICT_OUTCOMES = {
    "set_time_automatic": "clock_fixed",
    "wrong_time_zone": "clock_fixed",
    "clock_ok": "no_action_needed",
}
"""The ticket outcome each verdict suggests; the agent can still pick another."""

CHALLENGE_HINT = (
    "[b]c[/b]  Send a code to the e-mail on file or by text, for the user to read back:"
    " the strongest check."
)
METHOD_WORDS = {"totp": "an authenticator app", "sms": "SMS", "security_key": "a security key"}


def code_problem(code: str, which: str) -> str | None:
    """Catch a mistyped code at the desk; the service says the same, but later."""
    digits = code.replace(" ", "")
    if not digits:
        return None
    if not digits.isdigit():
        return f"The {which} is digits only."
    if len(digits) != 6:
        return f"The {which} has 6 digits; you typed {len(digits)}."
    return None


def first_name(profile: UserProfile) -> str:
    return profile.name.split()[0] if profile.name.strip() else "the user"


def totp_factor(profile: UserProfile) -> Factor | None:
    """The app to check: the user's first authenticator app, if any."""
    return next((f for f in profile.factors if f.type == "totp"), None)


def reenrol_consequence(profile: UserProfile, factor: Factor) -> str:
    """What re-enrolment does, in the words the agent reads before confirming."""
    name = first_name(profile)
    others = sorted({METHOD_WORDS[f.type] for f in profile.factors if f.id != factor.id})
    text = (
        f"The secret in {escape(factor.label)} is retired now: every code it shows will be"
        f" refused. At the next sign-in Alvys shows a new QR code; {escape(name)} removes the"
        " old Alvys entry from the app and scans the new one."
    )
    if others:
        return text + f" Until then {escape(name)} signs in with {' or '.join(others)}."
    return text + f" [b]{escape(name)} has no other method[/b]: the next sign-in goes to setup."


class ReenrolScreen(DeskModal["TotpReenrolment | RecoveryResult | None"]):
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
        Binding("escape", "cancel", "Cancel"),
        Binding("c", "challenge", "Send a code"),
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
        return True

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
        try:
            client = await self.desk.ready_client()
            done = await client.reenrol_totp(
                self.profile.id,
                self.ticket.id,
                reason=reason,
                verification=attested,
                verification_ids=verification_ids,
                factor_id=self.factor.id,
                idempotency_key=self.key,
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
        except ApiError as exc:
            self.dismiss(None)
            self.desk.report(exc)
            return
        self.dismiss(done)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AuthenticatorScreen(BranchScreen):
    """Ask for the codes (and the phone's time), then show the verdict card."""

    CSS_PATH = stylesheet("authenticator")

    TITLE_TEXT = "Auth app code not accepted"
    DEFAULT_OUTCOME = "clock_fixed"
    BINDINGS: ClassVar[list[BindingType]] = [
        *BranchScreen.BINDINGS,
        # Priority so Enter moves through the fields the way the article asks for them.
        Binding("enter", "advance", "Next / check", priority=True),
        Binding("e", "ask_again", "Check again"),
        Binding("n", "reenrol", "Re-enrol"),
    ]

    def __init__(self, profile: UserProfile, ticket: Ticket | None) -> None:
        super().__init__(profile, ticket)
        self.factor = totp_factor(profile)
        self.diagnosis: TotpDiagnosis | None = None
        self.reenrolment: TotpReenrolment | None = None
        self.requested: RecoveryResult | None = None
        """A re-enrolment sent to a team lead, waiting for approval."""
        self.phase: Literal["ask", "result"] = "ask"

    # -- layout -------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        name = escape(first_name(self.profile))
        app = escape(self.factor.label) if self.factor else "the authenticator app"
        with ContentSwitcher(initial="auth-ask", id="auth-switcher"):
            with VerticalScroll(id="auth-ask"):
                yield Static(
                    f"[b]1[/b] Ask {name} to open {app} and read the Alvys code.",
                    classes="auth-step",
                )
                yield self._code_input("code-now", "code, e.g. 123 456")
                yield Static(
                    "[b]2[/b] Ask for the next code as soon as it changes:"
                    " two codes make the match certain.",
                    classes="auth-step",
                )
                yield self._code_input("code-next", "the next code")
                yield Static(
                    "[b]3[/b] Optional: the time the phone shows, with seconds, as said.",
                    classes="auth-step",
                )
                yield Input(placeholder="e.g. 9:39:40 AM", id="phone-time", max_length=80)
                yield Static("", id="auth-message")
                yield Static(self._hint(), id="auth-hint")
            with VerticalScroll(id="auth-result"):
                yield DriftFigure(id="drift-figure")
                yield Static("", id="verdict-title")
                yield Static("", id="verdict-headline")
                yield Static("", id="verdict-steps")
                yield Static("", id="verdict-notes")
                yield Static("", id="reenrol-state")
        yield Footer()

    def strip_text(self) -> str:
        """The ticket before the names: a long company name must not push it off the line."""
        ticket = f" · {self.ticket.id}" if self.ticket else ""
        who = escape(f"{self.profile.name} · {self.profile.company}")
        return f"[b]{self.TITLE_TEXT}[/b]{ticket} · {who}"

    @staticmethod
    def _code_input(field_id: str, placeholder: str) -> Input:
        return Input(placeholder=placeholder, id=field_id, max_length=7, restrict=r"[0-9 ]*")

    def _hint(self) -> str:
        zone = escape(self.profile.timezone)
        return (
            f"Phone time is read in {zone}. Enter moves on; Enter on the last field checks."
            " Every check is audited; code checks are limited per user."
        )

    def on_mount(self) -> None:
        blocked = self._blocked()
        if blocked:
            self._say(blocked)
            for field in self.query(Input):
                field.disabled = True
            return
        if self.desk.demo_mode:
            self.query_one("#auth-hint", Static).update(
                self._hint() + f"\nDemo: `supportdesk demo phone {escape(self.profile.id)}`"
                " shows what the user's app displays."
            )
        self.query_one("#code-now", Input).focus()

    def _blocked(self) -> str | None:
        """Why nothing can be checked here, if so: said once, instead of failing later."""
        caps = self.desk.capabilities
        if caps is not None and FEATURE not in caps.features:
            return "This auth back end cannot diagnose authenticator codes."
        if self.ticket is None or self.ticket.status != "open":
            return "Open this user from their ticket: every check is tied to an open ticket."
        if self.factor is None:
            name = self.profile.name
            if self.profile.enrol_required == "totp":
                return (
                    f"{name}'s authenticator app was retired: a new QR code is shown"
                    " at the next sign-in."
                )
            return f"{name} has no authenticator app set up."
        return None

    # -- bindings -------------------------------------------------------------------------

    @property
    def showing_result(self) -> bool:
        return self.phase == "result"

    def _show_phase(self, phase: Literal["ask", "result"]) -> None:
        self.phase = phase
        self.query_one("#auth-switcher", ContentSwitcher).current = f"auth-{phase}"
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only what makes sense now: typing keys in the form, verdict keys on the card."""
        if action == "advance":
            return not self.showing_result
        if action == "ask_again":
            return self.showing_result and self.reenrolment is None
        if action == "reenrol":
            return (
                self.showing_result
                and self.reenrolment is None
                and self.requested is None
                and self.factor is not None
            )
        return True

    def action_advance(self) -> None:
        """From a field to the next one; from the last field, check what was typed."""
        focused = self.focused
        current = focused.id if isinstance(focused, Input) else None
        if current in FIELDS[:-1]:
            nxt = FIELDS[FIELDS.index(current) + 1]
            self.set_focus(self.query_one(f"#{nxt}", Input))
            return
        # Keys typed before Enter may still wait in the field's queue: check after them.
        (focused or self).call_later(self.check)

    def action_ask_again(self) -> None:
        for field_id in CODE_FIELDS:
            self.query_one(f"#{field_id}", Input).value = ""
        self._show_phase("ask")
        wants_time = self.diagnosis is not None and self.diagnosis.kind == "need_more_information"
        self.query_one("#phone-time" if wants_time else "#code-now", Input).focus()

    def action_reenrol(self) -> None:
        if self.ticket is None or self.factor is None or self.ticket.status != "open":
            self.notify("Re-enrol from the user's open ticket.", severity="warning")
            return
        self.app.push_screen(
            ReenrolScreen(self.profile, self.ticket, self.factor), self._reenrolled
        )

    def action_resolve(self, outcome: str | None = None) -> None:
        """Resolve with the outcome this branch reached, preselected."""
        super().action_resolve(outcome or self.suggested_outcome())

    def suggested_outcome(self) -> str | None:
        if self.reenrolment is not None:
            return "reenrolled"
        if self.requested is not None:
            return "escalated"
        if self.diagnosis is not None:
            return VERDICT_OUTCOMES.get(self.diagnosis.kind, self.DEFAULT_OUTCOME)
        return self.DEFAULT_OUTCOME

    # -- checking ---------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.query_one("#auth-message", Static).update(escape(text))

    def check(self) -> None:
        """Validate what was typed at the desk, then ask the service."""
        if self._blocked():
            return
        codes = [self.query_one(f"#{f}", Input).value.replace(" ", "") for f in CODE_FIELDS]
        phone_time = self.query_one("#phone-time", Input).value.strip()
        for field_id, code, which in zip(CODE_FIELDS, codes, ("code", "next code"), strict=True):
            problem = code_problem(code, which)
            if problem:
                self._say(problem)
                self.query_one(f"#{field_id}", Input).focus()
                return
        if not codes[0] and codes[1]:
            self._say("Type the first code too: the two are matched in order.")
            self.query_one("#code-now", Input).focus()
            return
        typed = [c for c in codes if c]
        if not typed and not phone_time:
            self._say("Type the code the user reads out, or the time their phone shows.")
            self.query_one("#code-now", Input).focus()
            return
        self._say("Checking…")
        self.diagnose(typed, phone_time or None)

    @work(exclusive=True, group="authenticator", exit_on_error=False)
    async def diagnose(self, codes: list[str], phone_time: str | None) -> None:
        assert self.ticket is not None and self.factor is not None
        try:
            client = await self.desk.ready_client()
            result = await client.diagnose_totp(
                self.profile.id,
                self.ticket.id,
                codes=codes,
                phone_time=phone_time,
                factor_id=self.factor.id,
            )
        except InvalidInput as exc:
            self._say(exc.message[:1].upper() + exc.message[1:] + ".")
            target = {"codes": "#code-now", "phone_time": "#phone-time"}.get(exc.field or "")
            if target:
                self.query_one(target, Input).focus()
            return
        except RateLimited as exc:
            self._say(exc.message[:1].upper() + exc.message[1:] + ".")
            return
        except Conflict as exc:
            self._say(exc.message)
            return
        except ApiError as exc:
            self._say("")
            self.desk.report(exc)
            return
        self._say("")
        self.show_result(result)

    def show_result(self, result: TotpDiagnosis) -> None:
        """The card: the drift large, the verdict, the steps in order."""
        self.diagnosis = result
        self.query_one("#drift-figure", DriftFigure).show(result)
        title = self.query_one("#verdict-title", Static)
        title.update(VERDICT_TITLES.get(result.kind, result.kind))
        for kind in VERDICT_TITLES:
            title.set_class(kind == result.kind, f"-{kind.replace('_', '-')}")
        self.query_one("#verdict-headline", Static).update(escape(result.headline))
        steps = "\n".join(f"{n}. {escape(step)}" for n, step in enumerate(result.steps, 1))
        self.query_one("#verdict-steps", Static).update(steps)
        notes = self.query_one("#verdict-notes", Static)
        notes.update("\n".join(f"Note: {escape(n)}" for n in result.notes))
        notes.display = bool(result.notes)
        self.query_one("#reenrol-state", Static).display = (
            self.reenrolment is not None or self.requested is not None
        )
        self._show_phase("result")
        card = self.query_one("#auth-result", VerticalScroll)
        card.scroll_home(animate=False)
        card.focus()

    def _reenrolled(self, done: TotpReenrolment | RecoveryResult | None) -> None:
        if done is None:
            return
        if isinstance(done, RecoveryResult):
            self._requested(done)
            return
        self.reenrolment = done
        self.profile = done.profile
        self.factor = None
        state = self.query_one("#reenrol-state", Static)
        state.update(
            f"[b]Re-enrolled:[/b] {escape(done.retired_label)} is retired; its codes are"
            f" refused. {escape(done.next_sign_in)} Press x to resolve the ticket."
        )
        state.display = True
        self._show_phase("result")
        self.query_one("#auth-result", VerticalScroll).scroll_end(animate=False)
        self.notify(
            f"{done.retired_label} retired: new QR code at next sign-in.", title="Re-enrolled"
        )

    def _requested(self, pending: RecoveryResult) -> None:
        """The request waits for a lead: the app keeps working until one approves it."""
        self.requested = pending
        state = self.query_one("#reenrol-state", Static)
        state.update(
            f"[b]Waiting for a team lead:[/b] {escape(pending.summary)}"
            f" Until then {escape(first_name(self.profile))}'s app keeps working."
            " Press x to resolve the ticket as escalated."
        )
        state.display = True
        self._show_phase("result")
        self.query_one("#auth-result", VerticalScroll).scroll_end(animate=False)
        self.notify(pending.summary, title="Sent to a team lead", timeout=10)
