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
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Footer, Input, Static

from supportdesk.api import features
from supportdesk.api.backend import DeskBackend
from supportdesk.api.errors import InvalidInput, RateLimited
from supportdesk.tui.commands import PaletteCommand
from supportdesk.tui.formatting import sentence
from supportdesk.tui.screens.branch_base import BranchScreen
from supportdesk.tui.screens.switch_to_app import SwitchScreen
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.sms_delivery_log import DeliveryLog
from supportdesk.tui.words.sms import (
    Progress,
    delivery_status,
    number_card,
    sms_reaches,
    step_country,
    step_number,
    step_resend,
    step_switch,
    verdict_line,
)

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket, UserProfile
    from supportdesk.api.sms import NumberCheck, SmsDelivery, SmsFactorFacts, SmsOverview


class SmsScreen(BranchScreen):
    """The number card, the checklist with its controls, and the delivery log."""

    CSS_PATH = stylesheet("sms")

    TITLE_TEXT = "SMS code not received"
    DEFAULT_OUTCOME = None
    BINDINGS: ClassVar[list[BindingType]] = [
        *BranchScreen.BINDINGS,
        Binding("r", "resend", "Resend", id="sms.resend"),
        Binding("n", "check_number", "Number", id="sms.check_number"),
        Binding("t", "switch", "Auth app", id="sms.switch"),
        Binding("l", "refresh_log", "Log", id="sms.refresh_log"),
    ]
    ACTION_FEATURES = {
        "resend": features.SMS_RESEND,
        "refresh_log": features.SMS_RESEND,
        "check_number": features.SMS,
        "switch": features.SMS,
    }

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
                    placeholder="as the user says it",
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
        yield Footer(compact=True, show_command_palette=False)

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
        """Why nothing here can work on this back end, said once instead of failing later."""
        return self.desk.missing(features.SMS)

    # -- loading --------------------------------------------------------------------------

    @work(exclusive=True, group="sms-load", exit_on_error=False)
    async def load(self) -> None:
        blocked = self._blocked()
        if blocked:
            self.say(blocked)
            return
        # Wherever texts go out there is a log; without receipts it stops at "sent".
        with_log = self.desk.offers(features.SMS_RESEND)

        async def read(b: DeskBackend) -> tuple[SmsOverview, list[SmsDelivery]]:
            if not with_log:
                return await b.sms_overview(self.profile.id), []
            overview, deliveries = await asyncio.gather(
                b.sms_overview(self.profile.id), b.sms_deliveries(self.profile.id)
            )
            return overview, deliveries

        found = await self.desk.call(read)
        if found is None:
            return
        overview, deliveries = found
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
        missing = [
            m
            for m in (
                self.desk.missing(features.SMS_RESEND),
                self.desk.missing(features.SMS_DELIVERY_RECEIPTS),
            )
            if m
        ]
        if missing:
            self.say(" ".join(missing))
        self.refresh_bindings()

    @work(exclusive=True, group="sms-log", exit_on_error=False)
    async def load_log(self) -> None:
        """Read the log again; the service asks the carrier about texts still on their way."""
        if not self.desk.offers(features.SMS_RESEND):
            return
        deliveries = await self.desk.call(lambda b: b.sms_deliveries(self.profile.id))
        if deliveries is not None:
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
        allowed = super().check_action(action, parameters)
        if not allowed:
            return allowed
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

    def unavailable_reason(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        if action == "resend" and self.wait_s > 0 and self.desk.offers(features.SMS_RESEND):
            return self.cooldown_words()
        return super().unavailable_reason(action, parameters)

    def cooldown_words(self) -> str:
        return f"The provider takes the next code in {self.wait_s} s: r then sends it."

    def on_key(self, event: events.Key) -> None:
        """r while the provider's limit holds: the key is dimmed, but it says how long."""
        if event.key == "r" and self.wait_s > 0 and not isinstance(self.focused, Input):
            self.say(self.cooldown_words())
            event.stop()
            return
        super().on_key(event)

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
            self.say(self.cooldown_words())
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
        self.app.push_screen(
            SwitchScreen(self.profile, self.ticket, sms_reaches=sms_reaches(self.factor)),
            self._switched,
        )

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
        ticket_id = self.ticket.id if self.ticket else None
        try:
            sent = await self.desk.call(
                lambda b: b.resend_sms_code(
                    self.profile.id, factor_id=factor_id, ticket_id=ticket_id
                ),
                expect=(RateLimited, InvalidInput),
            )
        except RateLimited as exc:
            self.wait_until(exc.retry_after_s)
            self.say(f"Not sent: {escape(exc.message)}.", error=True)
            return
        except InvalidInput as exc:
            self.say(f"Not sent: {escape(exc.message)}.", error=True)
            return
        if sent is None:
            self.say("")
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
        ticket_id = self.ticket.id if self.ticket else None
        try:
            check = await self.desk.call(
                lambda b: b.compare_sms_number(
                    self.profile.id, number, factor_id=factor_id, ticket_id=ticket_id
                ),
                expect=(InvalidInput, RateLimited),
            )
        except (InvalidInput, RateLimited) as exc:
            verdict.update(escape(sentence(exc.message)))
            return
        if check is None:
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
