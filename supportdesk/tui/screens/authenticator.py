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

from typing import TYPE_CHECKING, ClassVar, Literal

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import ContentSwitcher, Footer, Input, Static

from supportdesk.api import features
from supportdesk.api.errors import Conflict, InvalidInput, RateLimited
from supportdesk.api.recovery import RecoveryResult
from supportdesk.rules.codes import code_problem, normalise_code
from supportdesk.tui.formatting import CODE_KEYS, sentence
from supportdesk.tui.screens.branch_base import BranchScreen
from supportdesk.tui.screens.reenrol import ReenrolScreen, first_name
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.drift_figure import DriftFigure

if TYPE_CHECKING:
    from supportdesk.api.models import Factor, Ticket, UserProfile
    from supportdesk.api.totp import TotpDiagnosis, TotpReenrolment

CODE_FIELDS = ("code-now", "code-next")
FIELDS = (*CODE_FIELDS, "phone-time")

VERDICT_TITLES = {
    "clock_ok": "The clock is right",
    "set_time_automatic": "Set the date and time to automatic",
    "wrong_time_zone": "Wrong time zone on a clock set by hand",
    "stale_secret": "The app holds an old secret: re-enrol",
    "need_more_information": "Not enough to go on yet",
    "fail_counter_locked": "The token is locked by its fail counter",
}
VERDICT_OUTCOMES = {
    "set_time_automatic": "clock_fixed",
    "wrong_time_zone": "clock_fixed",
    "clock_ok": "no_action_needed",
}
"""The ticket outcome each verdict suggests; the agent can still pick another."""
WHICH = {"code-now": "code", "code-next": "next code"}


def locked_words(factor: Factor) -> str:
    return (
        f"{factor.label} is locked: {factor.fail_count} wrong codes reached its limit of"
        f" {factor.max_fail}, so even right codes are refused. Press u to reset the fail counter."
    )


def totp_factor(profile: UserProfile) -> Factor | None:
    """The app to check: the user's first authenticator app, if any."""
    return next((f for f in profile.factors if f.type == "totp"), None)


class AuthenticatorScreen(BranchScreen):
    """Ask for the codes (and the phone's time), then show the verdict card."""

    CSS_PATH = stylesheet("authenticator")

    TITLE_TEXT = "Auth app code not accepted"
    DEFAULT_OUTCOME = "clock_fixed"
    BINDINGS: ClassVar[list[BindingType]] = [
        *BranchScreen.BINDINGS,
        # Priority so Enter moves through the fields the way the article asks for them.
        Binding("enter", "advance", "Next / check", priority=True, id="authenticator.advance"),
        Binding("e", "ask_again", "Check again", id="authenticator.ask_again"),
        Binding("n", "reenrol", "Re-enrol", id="authenticator.reenrol"),
        # The code fields take every printable key: resync (typed codes) needs a control key;
        # a locked token opens with the form unfocused, so u works at once.
        Binding("ctrl+y", "resync", "Resync", id="authenticator.resync", priority=True),
        Binding("u", "unlock", "Reset fail counter", id="authenticator.unlock"),
    ]
    ACTION_FEATURES = {
        "advance": features.TOTP_DIAGNOSE,
        "ask_again": features.TOTP_DIAGNOSE,
        "reenrol": features.TOTP_REENROL,
        "resync": features.TOTP_RESYNC,
        "unlock": features.TOKEN_UNLOCK,
    }
    PROVIDER_FIXES = ("resync", "unlock")
    """Keys hidden (not dimmed) where the back end lacks them: a provider with no clock
    offset per token or no fail-counter lock has nothing for them to fix."""

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
        yield Footer(compact=True, show_command_palette=False)

    @staticmethod
    def _code_input(field_id: str, placeholder: str) -> Input:
        return Input(placeholder=placeholder, id=field_id, max_length=16, restrict=CODE_KEYS)

    def _hint(self) -> str:
        zone = escape(self.profile.timezone)
        return (
            "Enter moves on; Enter after the second code checks (Tab to add the phone's"
            f" time, read in {zone}). Every check is audited; code checks are limited per user."
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
        if (
            self.factor is not None
            and self.factor.locked
            and self.desk.offers(features.TOKEN_UNLOCK)
        ):
            self._say(locked_words(self.factor))
            self.query_one("#auth-ask", VerticalScroll).focus()
            return
        self.query_one("#code-now", Input).focus()

    def _blocked(self) -> str | None:
        """Why nothing can be checked here, if so: said once, instead of failing later."""
        missing = self.desk.missing(features.TOTP_DIAGNOSE)
        if missing:
            return missing
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
        if action in self.PROVIDER_FIXES and not self.desk.offers(self.ACTION_FEATURES[action]):
            return False
        allowed = super().check_action(action, parameters)
        if not allowed:
            return allowed
        if action == "unlock":
            return self.factor is not None and self.factor.locked
        if action == "resync":
            return not self.showing_result and self.factor is not None
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
        """From the first code to the next one; after the second code (two codes make the
        match certain) or the phone's time, check what was typed."""
        focused = self.focused
        current = focused.id if isinstance(focused, Input) else None
        if current == "code-now":
            self.set_focus(self.query_one("#code-next", Input))
            return
        if current == "code-next" and not self.query_one("#code-next", Input).value.strip():
            self.set_focus(self.query_one("#phone-time", Input))
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

    # -- the provider's fixes: resync from two codes, reset the fail counter ----------------

    def action_resync(self) -> None:
        """The two codes typed teach the provider the phone's offset (privacyIDEA)."""
        if self._blocked():
            return
        codes = [normalise_code(self.query_one(f"#{f}", Input).value) for f in CODE_FIELDS]
        if not all(codes):
            self._say("Type two codes in a row, the second after the first one changes.")
            self.query_one("#code-now" if not codes[0] else "#code-next", Input).focus()
            return
        self._say("Resyncing…")
        self.resync(str(codes[0]), str(codes[1]))

    @work(exclusive=True, group="authenticator", exit_on_error=False)
    async def resync(self, first: str, second: str) -> None:
        assert self.ticket is not None and self.factor is not None
        ticket_id, factor_id = self.ticket.id, self.factor.id
        try:
            done = await self.desk.call(
                lambda b: b.resync_totp(
                    self.profile.id,
                    ticket_id,
                    reason="codes not accepted: resync from two consecutive codes",
                    first_code=first,
                    second_code=second,
                    factor_id=factor_id,
                ),
                expect=(InvalidInput, Conflict),
            )
        except (InvalidInput, Conflict) as exc:
            self._say(sentence(exc.message))
            return
        if done is None:
            return
        self._say("")
        self.profile = done.profile
        title = "Resynced" if done.resynced else "Not resynced"
        self._show_fix(title, done.phrase, done.next_step)

    def action_unlock(self) -> None:
        if self._blocked() and not (self.factor is not None and self.factor.locked):
            return
        self._say("Resetting the fail counter…")
        self.unlock()

    @work(exclusive=True, group="authenticator", exit_on_error=False)
    async def unlock(self) -> None:
        assert self.ticket is not None and self.factor is not None
        ticket_id, factor = self.ticket.id, self.factor
        try:
            done = await self.desk.call(
                lambda b: b.unlock_token(
                    self.profile.id,
                    ticket_id,
                    reason=f"locked by its fail counter ({factor.fail_count} of {factor.max_fail})",
                    factor_id=factor.id,
                ),
                expect=(InvalidInput, Conflict),
            )
        except (InvalidInput, Conflict) as exc:
            self._say(sentence(exc.message))
            return
        if done is None:
            return
        self._say("")
        self.profile = done.profile
        self.factor = next((f for f in done.profile.factors if f.id == factor.id), None)
        headline = (
            f"The fail counter of {done.factor_label} is back to 0"
            f" (it stood at {done.fail_count_before} of {done.max_fail})."
        )
        self._show_fix("Fail counter reset", headline, done.next_step)
        self.notify(f"{done.factor_label} unlocked.", title="Fail counter reset")

    def _show_fix(self, title: str, headline: str, step: str) -> None:
        """The card, for what the provider did rather than a measurement."""
        self.query_one("#drift-figure", DriftFigure).display = False
        self.query_one("#verdict-title", Static).update(escape(title))
        self.query_one("#verdict-headline", Static).update(escape(headline))
        self.query_one("#verdict-steps", Static).update(f"1. {escape(step)}")
        self.query_one("#verdict-notes", Static).display = False
        self._show_phase("result")
        self.query_one("#auth-result", VerticalScroll).focus()

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
        codes: list[str] = []
        for field_id in CODE_FIELDS:
            typed = self.query_one(f"#{field_id}", Input).value
            code = normalise_code(typed) if typed.strip() else ""
            if code is None:
                self._say(code_problem(typed) or f"Check the {WHICH[field_id]}.")
                self.query_one(f"#{field_id}", Input).focus()
                return
            codes.append(code)
        phone_time = self.query_one("#phone-time", Input).value.strip()
        if not codes[0] and codes[1]:
            self._say("Type the first code too: the two are matched in order.")
            self.query_one("#code-now", Input).focus()
            return
        given = [c for c in codes if c]
        if not given and not phone_time:
            self._say("Type the code the user reads out, or the time their phone shows.")
            self.query_one("#code-now", Input).focus()
            return
        self._say("Checking…")
        self.diagnose(given, phone_time or None)

    @work(exclusive=True, group="authenticator", exit_on_error=False)
    async def diagnose(self, codes: list[str], phone_time: str | None) -> None:
        assert self.ticket is not None and self.factor is not None
        ticket_id, factor_id = self.ticket.id, self.factor.id
        try:
            result = await self.desk.call(
                lambda b: b.diagnose_totp(
                    self.profile.id,
                    ticket_id,
                    codes=codes,
                    phone_time=phone_time,
                    factor_id=factor_id,
                ),
                expect=(InvalidInput, RateLimited, Conflict),
            )
        except InvalidInput as exc:
            self._say(sentence(exc.message))
            target = {"codes": "#code-now", "phone_time": "#phone-time"}.get(exc.field or "")
            if target:
                self.query_one(target, Input).focus()
            return
        except (RateLimited, Conflict) as exc:
            self._say(sentence(exc.message))
            return
        self._say("")
        if result is not None:
            self.show_result(result)

    def show_result(self, result: TotpDiagnosis) -> None:
        """The card: the drift large, the verdict, the steps in order."""
        self.diagnosis = result
        figure = self.query_one("#drift-figure", DriftFigure)
        figure.display = True
        figure.show(result)
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
