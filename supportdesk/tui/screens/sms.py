"""Branch 1, "SMS code not received": the article's four steps with live facts.

The number on file is analysed (country, the SMS list, line type) without being shown;
the number the user states is compared on the server; Resend obeys the provider's limits
with a live countdown; the delivery log follows each text until the carrier is done with
it; and when texts still do not arrive, the user is moved to the authenticator app.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from math import ceil
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Button, Footer, Input, Static

from supportdesk.api.errors import ApiError, Conflict, InvalidInput, RateLimited
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.screens.branch_base import BranchScreen
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.sms_delivery_log import DeliveryLog
from supportdesk.tui.widgets.sms_words import (
    Progress,
    delivery_status,
    number_card,
    step_country,
    step_number,
    step_resend,
    step_switch,
    verdict_line,
)

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket, UserProfile
    from supportdesk.api.sms import NumberCheck, SmsDelivery, SmsFactorFacts, SmsOverview
    from supportdesk.tui.commands import PaletteCommand

FEATURE = "sms"
SWITCH_REASON = "Texts do not arrive: moved to the authenticator app, as the article recommends"


class SwitchScreen(DeskModal["UserProfile | None"]):
    """The confirmation: what the user will meet at the next sign-in, and a reason."""

    CSS_PATH = stylesheet("sms")

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, profile: UserProfile, ticket: Ticket | None) -> None:
        super().__init__()
        self.profile = profile
        self.ticket = ticket

    def compose(self) -> ComposeResult:
        name = escape(self.profile.name)
        with Vertical(id="switch-dialog", classes="dialog"):
            yield Static(f"Move {name} to the authenticator app?", classes="dialog-title")
            yield Static(
                f"At the next sign-in {name} is asked to set up an authenticator app: scan a"
                " QR code with Google Authenticator, Microsoft Authenticator, Authy or a"
                " TOTP password manager. It needs no mobile coverage. SMS stays on the"
                " account as a backup.",
                id="switch-consequence",
            )
            yield Input(value=SWITCH_REASON, id="switch-reason", max_length=500)
            yield Static("", id="switch-message")
            yield Button("Switch to the app", id="switch", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#switch", Button).focus()

    @on(Input.Submitted, "#switch-reason")
    @on(Button.Pressed, "#switch")
    def submit(self) -> None:
        reason = self.query_one("#switch-reason", Input).value.strip()
        if not reason:
            self.query_one("#switch-message", Static).update("Write a reason for the audit log.")
            self.query_one("#switch-reason", Input).focus()
            return
        self.query_one("#switch", Button).disabled = True
        self.switch(reason)

    @work(exclusive=True, exit_on_error=False)
    async def switch(self, reason: str) -> None:
        try:
            client = await self.desk.ready_client()
            profile = await client.switch_to_authenticator(
                self.profile.id, reason, ticket_id=self.ticket.id if self.ticket else None
            )
        except (InvalidInput, Conflict) as exc:
            self.query_one("#switch-message", Static).update(escape(exc.message))
            self.query_one("#switch", Button).disabled = False
            return
        except ApiError as exc:
            self.dismiss(None)
            self.desk.report(exc)
            return
        self.dismiss(profile)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SmsScreen(BranchScreen):
    """The number card, the checklist with its controls, and the delivery log."""

    CSS_PATH = stylesheet("sms")

    TITLE_TEXT = "SMS code not received"
    DEFAULT_OUTCOME = None
    BINDINGS: ClassVar[list[BindingType]] = [
        *BranchScreen.BINDINGS,
        Binding("r", "resend", "Resend"),
        Binding("n", "check_number", "Number"),
        Binding("t", "switch", "Auth app"),
        Binding("l", "refresh_log", "Log"),
    ]

    wait_s: reactive[int] = reactive(0)
    """Seconds until the provider takes another code for this user (0: now)."""

    def palette_commands(self) -> list[PaletteCommand]:
        """This screen's actions in the command palette."""
        return [
            ("Resend the SMS code", self.action_resend, "Text a fresh code; the last one dies"),
            ("Check the number the user states", self.action_check_number, "Compare on file"),
            ("Refresh the delivery log", self.action_refresh_log, "Ask the carrier again"),
            ("Switch to the authenticator app", self.action_switch, "Set up at next sign-in"),
        ]

    def __init__(self, profile: UserProfile, ticket: Ticket | None) -> None:
        super().__init__(profile, ticket)
        self.overview: SmsOverview | None = None
        self.check: NumberCheck | None = None
        self.deliveries: list[SmsDelivery] = []
        self.retry_at: datetime | None = None
        self.switched = profile.enrol_required == "totp"

    # -- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="sms"):
            yield Static("Reading the number on file…", id="sms-card")
            yield Static("The article's steps", classes="sms-title")
            yield Static("", id="step-country", classes="sms-step")
            yield Static("", id="step-number", classes="sms-step")
            with Horizontal(id="stated-row"):
                yield Static("Number they state (n)", id="stated-label")
                yield Input(
                    placeholder="as the user says it, with or without the country code",
                    id="stated",
                    max_length=64,
                    compact=True,
                )
            yield Static("", id="stated-verdict")
            yield Static("", id="step-resend", classes="sms-step")
            yield Static("", id="step-switch", classes="sms-step")
            yield Static("", id="sms-message")
            yield Static("", id="sms-limits")
            yield Static("Delivery log (newest first)", classes="sms-title")
            yield DeliveryLog(id="sms-log")
        yield Footer()

    def on_mount(self) -> None:
        self.show_steps()
        self.load()
        self.set_interval(1.0, self.tick)
        self.set_interval(3.0, self.poll_log)

    @property
    def factor(self) -> SmsFactorFacts | None:
        """The SMS method this screen works on: the user's first."""
        if self.overview is None or not self.overview.factors:
            return None
        return self.overview.factors[0]

    def _blocked(self) -> str | None:
        caps = self.desk.capabilities
        if caps is not None and FEATURE not in caps.features:
            return "This auth back end cannot send SMS codes."
        return None

    # -- loading --------------------------------------------------------------------------

    @work(exclusive=True, group="sms-load", exit_on_error=False)
    async def load(self) -> None:
        blocked = self._blocked()
        if blocked:
            self.say(blocked)
            return
        try:
            client = await self.desk.ready_client()
            overview, deliveries = await asyncio.gather(
                client.sms_overview(self.profile.id), client.sms_deliveries(self.profile.id)
            )
        except ApiError as exc:
            self.desk.report(exc)
            return
        self.overview = overview
        self.switched = overview.enrol_required == "totp"
        if overview.next_send_in_s:
            self.wait_until(overview.next_send_in_s)
        self.query_one("#sms-limits", Static).update(
            "Limits: " + " · ".join(escape(limit) for limit in overview.limits)
        )
        more = max(0, len(overview.factors) - 1)
        self.query_one("#sms-card", Static).update(number_card(self.factor, more))
        self.show_log(deliveries)
        self.refresh_bindings()

    @work(exclusive=True, group="sms-log", exit_on_error=False)
    async def load_log(self) -> None:
        """Read the log again; the service asks the carrier about texts still on their way."""
        try:
            client = await self.desk.ready_client()
            deliveries = await client.sms_deliveries(self.profile.id)
        except ApiError as exc:
            self.desk.report(exc)
            return
        self.show_log(deliveries)

    def poll_log(self) -> None:
        """While a text is on its way, follow it without the agent asking."""
        if any(not d.final for d in self.deliveries):
            self.load_log()

    def show_log(self, deliveries: list[SmsDelivery]) -> None:
        self.deliveries = deliveries
        log = self.query_one("#sms-log", DeliveryLog)
        log.show(deliveries, self.desk.display_zone, self.desk.now())
        self.show_steps()

    # -- the countdown ----------------------------------------------------------------------

    def wait_until(self, seconds: int) -> None:
        """Start (or restart) the countdown to the next code the provider will take."""
        self.retry_at = self.desk.now() + timedelta(seconds=seconds)
        self.tick()

    def tick(self) -> None:
        """Count down on the desk's clock (the service's clock in tests: no sleeping)."""
        if self.retry_at is None:
            self.wait_s = 0
            return
        left = ceil((self.retry_at - self.desk.now()).total_seconds())
        if left <= 0:
            self.retry_at = None
        self.wait_s = max(0, left)

    def watch_wait_s(self) -> None:
        self.show_steps()
        self.refresh_bindings()

    # -- the steps ------------------------------------------------------------------------

    def progress(self) -> Progress:
        return Progress(
            factor=self.factor,
            check=self.check,
            latest=self.deliveries[0] if self.deliveries else None,
            wait_s=self.wait_s,
            switched=self.switched,
            has_authenticator=bool(self.overview and self.overview.has_authenticator),
        )

    def show_steps(self) -> None:
        p = self.progress()
        if self.overview is not None:
            self.query_one("#step-country", Static).update(step_country(p))
        self.query_one("#step-number", Static).update(step_number(p))
        self.query_one("#step-resend", Static).update(step_resend(p))
        self.query_one("#step-switch", Static).update(step_switch(p))

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#sms-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    # -- bindings -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resend shows dimmed while the provider's limit holds; the rest once loaded."""
        if action == "resend":
            factor = self.factor
            if factor is None or not factor.can_send:
                return False
            return True if self.wait_s == 0 else None
        if action == "check_number":
            return self.factor is not None
        if action == "switch":
            return self.overview is not None
        return True

    def action_back(self) -> None:
        """Escape in the number field leaves the field first, then the screen."""
        if isinstance(self.focused, Input):
            self.set_focus(self.query_one("#sms-log", DeliveryLog))
            return
        super().action_back()

    def action_resend(self) -> None:
        if self._blocked() or self.factor is None:
            return
        if self.wait_s > 0:
            self.say(f"The provider takes the next code in {self.wait_s} s.")
            return
        self.say("Sending…")
        self.resend(self.factor.factor_id)

    def action_check_number(self) -> None:
        self.query_one("#stated", Input).focus()

    def action_refresh_log(self) -> None:
        self.load_log()

    def action_switch(self) -> None:
        if self.switched:
            self.notify("The authenticator app is already required at the next sign-in.")
            return
        if self.overview is not None and self.overview.has_authenticator:
            self.say("This user already has an authenticator app: ask them to choose it.")
            return
        self.app.push_screen(SwitchScreen(self.profile, self.ticket), self._switched)

    def action_resolve(self, outcome: str | None = None) -> None:
        """Resolve with the outcome this branch reached, preselected."""
        super().action_resolve(outcome or self.suggested_outcome())

    def suggested_outcome(self) -> str | None:
        """What this branch reached; None leaves the choice to the agent."""
        if self.switched:
            return "switched_to_authenticator"
        if self.deliveries and self.deliveries[0].status == "delivered":
            return "sms_resent"
        return None

    # -- actions --------------------------------------------------------------------------

    @work(exclusive=True, group="sms-action", exit_on_error=False)
    async def resend(self, factor_id: str) -> None:
        try:
            client = await self.desk.ready_client()
            sent = await client.resend_sms_code(
                self.profile.id,
                factor_id=factor_id,
                ticket_id=self.ticket.id if self.ticket else None,
            )
        except RateLimited as exc:
            self.wait_until(exc.retry_after_s)
            self.say(f"Not sent: {escape(exc.message)}.", error=True)
            return
        except InvalidInput as exc:
            self.say(f"Not sent: {escape(exc.message)}.", error=True)
            return
        except ApiError as exc:
            self.say("")
            self.desk.report(exc)
            return
        self.wait_until(sent.next_send_in_s)
        delivery = sent.delivery
        if delivery.final and delivery.status != "delivered":
            text = f"The SMS provider did not take the text: {delivery_status(delivery)}"
            self.say(text, error=True)
            self.notify(text, title="Not sent", severity="error", timeout=10)
        else:
            expires = ""
            if sent.code_expires_at is not None:
                local = sent.code_expires_at.astimezone(self.desk.display_zone)
                expires = f"; it expires at {local:%H:%M:%S}"
            self.say(f"A new code went to {escape(delivery.phone_masked)}{expires}.")
        self.load_log()

    @on(Input.Submitted, "#stated")
    def _stated(self, event: Input.Submitted) -> None:
        if self.factor is None:
            return
        if not event.value.strip():
            self.query_one("#stated-verdict", Static).update("Type the number the user states.")
            return
        self.compare(event.value.strip(), self.factor.factor_id)

    @work(exclusive=True, group="sms-compare", exit_on_error=False)
    async def compare(self, number: str, factor_id: str) -> None:
        verdict = self.query_one("#stated-verdict", Static)
        try:
            client = await self.desk.ready_client()
            check = await client.compare_sms_number(
                self.profile.id,
                number,
                factor_id=factor_id,
                ticket_id=self.ticket.id if self.ticket else None,
            )
        except (InvalidInput, RateLimited) as exc:
            verdict.update(escape(exc.message[:1].upper() + exc.message[1:]) + ".")
            return
        except ApiError as exc:
            self.desk.report(exc)
            return
        self.check = check
        on_file = self.factor.number if self.factor else None
        verdict.update(verdict_line(check, on_file))
        self.show_steps()
        # Back to the keys: the next step (Resend, Auth app) is one key away.
        self.set_focus(self.query_one("#sms-log", DeliveryLog))

    def _switched(self, profile: UserProfile | None) -> None:
        if profile is None:
            return
        self.profile = profile
        self.switched = profile.enrol_required == "totp"
        self.say(f"{escape(profile.name)} sets up the authenticator app at the next sign-in.")
        self.show_steps()
        self.refresh_bindings()
