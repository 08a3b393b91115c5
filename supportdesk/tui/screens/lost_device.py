"""Branch 3, lost phone or key, in the article's order.

First the user's other configured methods and how to use each (most lost
phones end there). Then, for the lost factor: remove it while another remains.
When nothing is left: verify identity (a challenge to something the user still
holds comes first) and reset MFA or issue a one-time access code, each behind
a confirmation that says exactly what will happen. The policy's verdict is
previewed here so the agent knows what is missing; the service decides.
Service accounts get the article's answer instead of any of this.
"""

from __future__ import annotations

import asyncio
import uuid
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Input, Static

from supportdesk.api.errors import ApiError
from supportdesk.rules.policy import (
    ACTION_TITLES,
    SERVICE_ACCOUNT_GUIDANCE,
    Action,
    Check,
    Decision,
    Outcome,
    RefusalCode,
    Target,
    TargetKind,
    decide,
    sensitivity,
)
from supportdesk.tui.formatting import when
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.screens.branch_base import BranchScreen
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.verification_challenge import ChallengeDialog
from supportdesk.tui.widgets.verification_checklist import (
    CHECK_WORDS,
    VerificationChecklist,
    check_words,
)

if TYPE_CHECKING:
    from supportdesk.api.models import Factor, Ticket, UserProfile
    from supportdesk.api.recovery import Approval, ChallengeAnswered, RecoveryResult

FACTOR_WORDS = {"totp": "Authenticator app", "sms": "SMS", "security_key": "Security key"}
HOW_TO_USE = {
    "totp": "at the code prompt, open the app and type the current 6-digit code (apps that "
    "back up, like Authy or 1Password, may have it on a new phone too)",
    "sms": "choose the text message option and type the 6-digit code; Resend Code if it is slow",
    "security_key": "choose 'Use a security key', insert it (or hold it to the phone for NFC) "
    "and touch it",
}
"""How a user signs in with each kind of method, as the agent says it."""

OUTCOMES = {
    Action.REMOVE_FACTOR: "factor_removed",
    Action.RESET_MFA: "mfa_reset",
    Action.ISSUE_ACCESS_CODE: "access_code_issued",
}
"""The ticket outcome each action leads to (a request left with a lead: "escalated")."""

ACTION_KEYS = {Action.REMOVE_FACTOR: "d", Action.RESET_MFA: "R", Action.ISSUE_ACCESS_CODE: "o"}
SHORT_TITLES = {
    Action.REMOVE_FACTOR: "Remove lost factor",
    Action.RESET_MFA: "Reset MFA",
    Action.ISSUE_ACCESS_CODE: "Access code",
}
"""One line each in the readiness strip at 80 columns."""
PREVIEW_REASON = "typed at confirmation"
"""The reason is typed in the confirmation; the preview only checks everything else."""


def factor_name(factor: Factor) -> str:
    return f"{FACTOR_WORDS.get(factor.type, factor.type)} '{factor.label}'"


class ConfirmRecovery(DeskModal["str | None"]):
    """Says exactly what will happen and takes the reason for the audit log."""

    CSS_PATH = stylesheet("recovery")

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        lines: list[str],
        confirm_word: str,
        *,
        placeholder: str = "Reason, for the audit log (required)",
        required: bool = True,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.confirm_word = confirm_word
        self.placeholder = placeholder
        self.required = required

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static("\n".join(self.lines), id="confirm-body")
            yield Input(placeholder=self.placeholder, id="confirm-reason")
            yield Static("", id="confirm-message")
            yield Static(
                f"[b]Enter[/b] {escape(self.confirm_word)} · [b]Esc[/b] cancel",
                id="confirm-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#confirm-reason", Input).focus()

    @on(Input.Submitted, "#confirm-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if self.required and not reason:
            self.query_one("#confirm-message", Static).update(
                "Give a reason: it goes in the audit log with the ticket and the checks."
            )
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AccessCodeDialog(DeskModal[None]):
    """The one time a one-time access code is ever shown: large, to read out."""

    CSS_PATH = stylesheet("recovery")

    BINDINGS = [
        Binding("enter", "close", "Done"),
        Binding("escape", "close", "Done"),
    ]

    def __init__(self, result: RecoveryResult, user_name: str) -> None:
        super().__init__()
        self.result = result
        self.user_name = user_name

    def compose(self) -> ComposeResult:
        code = self.result.access_code or ""
        expires = self.result.access_code_expires_at
        until = f" until {when(expires, self.desk.display_zone)}" if expires else ""
        with Vertical(id="access-code-dialog", classes="dialog"):
            yield Static(
                f"One-time access code for {escape(self.user_name)}", classes="dialog-title"
            )
            yield Static(" ".join(code), id="access-code")
            yield Static(
                "Read it to the user now, group by group. It is shown only this once and "
                f"stored only as a hash. It works for one sign-in{until}; the user then sets "
                "up a new method. Any earlier unused code no longer works.",
                id="access-code-help",
            )
            yield Static("[b]Enter[/b] done: the code cannot be shown again", id="access-hint")

    def action_close(self) -> None:
        self.dismiss(None)


class LostDeviceScreen(BranchScreen):
    """Other methods first; then remove the lost factor; then verify and reset or issue a code."""

    CSS_PATH = stylesheet("recovery")

    TITLE_TEXT = "Lost phone or key"
    BINDINGS: ClassVar[list[BindingType]] = [
        *BranchScreen.BINDINGS,
        Binding("c", "challenge", "Challenge"),
        Binding("d", "remove", "Remove"),
        Binding("R", "reset", "Reset"),
        Binding("o", "access_code", "Code"),
    ]

    def __init__(self, profile: UserProfile, ticket: Ticket | None) -> None:
        super().__init__(profile, ticket)
        self.lost: set[str] = set()
        self.outcome: str | None = None
        self.requests: list[Approval] = []

    # -- layout -----------------------------------------------------------------------------

    @property
    def is_service_account(self) -> bool:
        return self.profile.kind == "service"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="lost-device"):
            if self.is_service_account:
                yield Static("Service account: no MFA reset", classes="section-title")
                yield Static(
                    f"{escape(SERVICE_ACCOUNT_GUIDANCE)}\n\n"
                    "Integration accounts cannot answer an MFA prompt, so there is nothing to "
                    "reset or remove. Give the customer the guidance above and resolve with "
                    "[b]x[/b] (service-account guidance).",
                    id="service-guidance",
                )
            else:
                yield Static("", id="lost-banner")
                yield Static("", id="lost-result")
                yield Static("Other ways in", classes="section-title")
                yield Static("", id="other-ways")
                yield Static("Factors · Enter marks the lost one", classes="section-title")
                table: DataTable[str] = DataTable(id="lost-factors", cursor_type="row")
                table.add_column("", width=6, key="lost")
                table.add_column("Method", width=17, key="method")
                table.add_column("Label", width=30, key="label")
                table.add_column("Last used", width=12, key="used")
                yield table
                yield Static("Identity checks", classes="section-title")
                yield VerificationChecklist(id="checklist")
                yield Static("", id="lost-requests")
        if not self.is_service_account:
            yield Static("", id="readiness")
        yield Footer()

    def on_mount(self) -> None:
        if self.is_service_account:
            return
        self.query_one(VerificationChecklist).zone = self.desk.display_zone
        self.query_one("#lost-result", Static).display = False
        self.show_profile()
        self.query_one("#lost-factors", DataTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A service account gets guidance only: no challenge, removal, reset or code."""
        changes = {"challenge", "remove", "reset", "access_code"}
        return not (self.is_service_account and action in changes)

    # -- loading and showing ------------------------------------------------------------------

    @work(exclusive=True, group="lost-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            client = await self.desk.ready_client()
            profile, requests = await asyncio.gather(
                client.get_user(self.profile.id),
                client.list_approvals("all", user_id=self.profile.id, limit=5),
            )
        except ApiError as exc:
            self.desk.report(exc)
            return
        self.profile = profile
        self.requests = requests
        self.lost &= {f.id for f in profile.factors}
        self.show_profile()
        self.show_requests()

    def role(self) -> str:
        session = self.desk.session
        return session.agent.role if session is not None else "agent"

    def target(self) -> Target:
        p = self.profile
        return Target(
            kind=TargetKind(p.kind),
            is_admin=p.is_admin,
            is_staff=p.is_staff,
            last_mfa_reset_at=p.last_mfa_reset_at,
            factor_count=len(p.factors),
        )

    def show_profile(self) -> None:
        why = sensitivity(self.target(), self.desk.now())
        banner = self.query_one("#lost-banner", Static)
        banner.display = bool(why)
        banner.update("⚑ " + " ".join(why) + " Changes here go to a team lead for approval first.")
        self.query_one("#other-ways", Static).update(self.other_ways_text())
        table = self.query_one("#lost-factors", DataTable)
        row = table.cursor_row
        table.clear()
        zone = self.desk.display_zone
        for f in self.profile.factors:
            details = f.phone_masked or f.key_model
            table.add_row(
                "✗ lost" if f.id in self.lost else "",
                FACTOR_WORDS.get(f.type, f.type),
                f"{f.label} ({details})" if details else f.label,
                when(f.last_used_at, zone),
                key=f.id,
            )
        if not self.profile.factors:
            table.add_row("", "none", "No method is set up", "")
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self.show_readiness()

    def other_ways_text(self) -> str:
        left = [f for f in self.profile.factors if f.id not in self.lost]
        lines = [
            f"• [b]{escape(factor_name(f))}[/b]"
            + (f" ({escape(f.phone_masked)})" if f.phone_masked else "")
            + f": {HOW_TO_USE.get(f.type, 'follow the prompt')}."
            for f in left
        ]
        lost = [f for f in self.profile.factors if f.id in self.lost]
        if lost and left:
            lines.append(
                "Once the user is in with one of these, remove the lost "
                + ", ".join(escape(factor_name(f)) for f in lost)
                + " ([b]d[/b])."
            )
        if not left:
            lines.append(
                "No other method is left: verify who the user is (challenge first, [b]c[/b]), "
                "then reset MFA ([b]R[/b]) or issue a one-time access code ([b]o[/b])."
            )
        return "\n".join(lines)

    def preview(self, action: Action) -> Decision:
        checklist = self.query_one(VerificationChecklist)
        return decide(
            action,
            self.role(),
            self.target(),
            ticket_id=self.ticket.id if self.ticket else None,
            reason=PREVIEW_REASON,
            checks=checklist.checks(),
            now=self.desk.now(),
        )

    def readiness_line(self, action: Action) -> str:
        decision = self.preview(action)
        removing = action is Action.REMOVE_FACTOR
        if removing and decision.code is not RefusalCode.NO_OTHER_FACTOR and not self.lost:
            return "mark the lost factor first (Enter on its row)"
        if decision.outcome is Outcome.ALLOWED:
            return "ready"
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            return "ready, as a request for a team lead"
        if decision.code is RefusalCode.NO_OTHER_FACTOR:
            return "the only factor: reset or issue a code instead"
        if decision.code is RefusalCode.TICKET_REQUIRED:
            return "open this account from a ticket first"
        if decision.code is RefusalCode.VERIFICATION_REQUIRED:
            plural = "s" if decision.checks_needed > 1 else ""
            feasible = [
                c
                for c in decision.missing_checks
                if c is not Check.FACTOR_CHALLENGE or self.challengeable_factors()
            ]
            helpful = " or ".join(CHECK_WORDS[c.value] for c in feasible[:2])
            return f"{decision.checks_needed} more check{plural}, e.g. {helpful}"
        return decision.reasons[0]

    def show_readiness(self) -> None:
        lines = [
            f"[b]{ACTION_KEYS[action]}[/b] {SHORT_TITLES[action]}: "
            f"{escape(self.readiness_line(action))}"
            for action in (Action.REMOVE_FACTOR, Action.RESET_MFA, Action.ISSUE_ACCESS_CODE)
        ]
        self.query_one("#readiness", Static).update("\n".join(lines))

    def show_requests(self) -> None:
        widget = self.query_one("#lost-requests", Static)
        if not self.requests:
            widget.update("")
            return
        whose = "Requests" if self.role() == "lead" else "Your requests"
        lines = [f"[b]{whose} for this user[/b]"]
        zone = self.desk.display_zone
        for a in self.requests[:3]:
            if a.status == "pending":
                state = f"waiting for a lead (lapses {when(a.expires_at, zone)})"
            elif a.status == "approved":
                state = f"approved by {a.decided_by}"
            elif a.status == "denied":
                state = f"denied by {a.decided_by}" + (
                    f": {a.decision_note}" if a.decision_note else ""
                )
            else:
                state = "lapsed without a decision"
            lines.append(
                f"#{a.id} {escape(a.action_title)} by {escape(a.requested_by)}: {escape(state)}"
            )
        widget.update("\n".join(lines))

    # -- marking the lost factor, checks --------------------------------------------------------

    @on(DataTable.RowSelected, "#lost-factors")
    def _mark_lost(self, event: DataTable.RowSelected) -> None:
        factor_id = event.row_key.value
        if not factor_id or factor_id not in {f.id for f in self.profile.factors}:
            return
        if factor_id in self.lost:
            self.lost.discard(factor_id)
        else:
            self.lost = {factor_id}
        self.show_profile()

    @on(VerificationChecklist.Changed)
    def _checks_changed(self) -> None:
        self.show_readiness()

    def _need_open_ticket(self) -> Ticket | None:
        if self.ticket is None or self.ticket.status != "open":
            self.notify(
                "Every change needs an open ticket: open this account from the ticket.",
                severity="warning",
            )
            return None
        return self.ticket

    def action_challenge(self) -> None:
        ticket = self._need_open_ticket()
        if ticket is None:
            return
        self.app.push_screen(
            ChallengeDialog(self.profile, ticket.id, self.lost), self._challenge_done
        )

    def _challenge_done(self, answered: ChallengeAnswered | None) -> None:
        if answered is not None:
            self.query_one(VerificationChecklist).add_verified(answered)

    # -- the actions -----------------------------------------------------------------------------

    def action_remove(self) -> None:
        self._ask(Action.REMOVE_FACTOR)

    def action_reset(self) -> None:
        self._ask(Action.RESET_MFA)

    def action_access_code(self) -> None:
        self._ask(Action.ISSUE_ACCESS_CODE)

    def challengeable_factors(self) -> list[Factor]:
        """Working factors a code can come from over the phone (not a key, not the lost one)."""
        return [
            f for f in self.profile.factors if f.type in ("totp", "sms") and f.id not in self.lost
        ]

    def lost_factor(self) -> Factor | None:
        return next((f for f in self.profile.factors if f.id in self.lost), None)

    def _ask(self, action: Action) -> None:
        """Explain what is missing, or confirm with the exact consequences and a reason."""
        ticket = self._need_open_ticket()
        if ticket is None:
            return
        decision = self.preview(action)
        if action is Action.REMOVE_FACTOR and self.lost_factor() is None and not decision.refused:
            self.notify("Mark the lost factor first: Enter on its row.", severity="warning")
            return
        if decision.refused:
            self.notify(" ".join(decision.reasons), title="Not yet", severity="warning")
            return
        lines = self.consequences(action)
        checklist = self.query_one(VerificationChecklist)
        lines.append(f"Ticket {ticket.id} · checks: {check_words(checklist.check_names())}")
        word = ACTION_TITLES[action].lower()
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            why = " ".join(sensitivity(self.target(), self.desk.now()))
            lines.insert(
                0,
                f"[b]⚑ {escape(why)}[/b] This is sent to a team lead as a request: nothing "
                "changes until a lead approves it, and it lapses after 24 hours.",
            )
            word = "send the request to a lead"
        key = uuid.uuid4().hex  # one key per confirmation: a retry never acts twice
        self.app.push_screen(
            ConfirmRecovery(f"{ACTION_TITLES[action]} · {escape(self.profile.name)}", lines, word),
            partial(self._confirmed, action, key),
        )

    def consequences(self, action: Action) -> list[str]:
        """Exactly what the action will do to this account, in the agent's words."""
        name = escape(self.profile.name)
        if action is Action.REMOVE_FACTOR:
            lost = self.lost_factor()
            assert lost is not None
            left = [escape(factor_name(f)) for f in self.profile.factors if f.id != lost.id]
            return [
                f"Removes {escape(factor_name(lost))} from {name}'s account.",
                f"{name} then signs in with: {', '.join(left)}.",
                "Nothing else changes.",
            ]
        if action is Action.RESET_MFA:
            removed = [escape(factor_name(f)) for f in self.profile.factors] or ["none left"]
            return [
                f"Resets MFA for {name}:",
                f"• removes every factor: {', '.join(removed)}",
                "• signs the user out of every session",
                "• at the next sign-in the user must set up MFA again (any method).",
            ]
        return [
            f"Issues a one-time access code for {name}:",
            "• shown to you once, right after this: read it to the user",
            "• good for one sign-in within a short time, to set up a new method",
            "• any earlier unused code stops working; factors stay as they are.",
        ]

    def _confirmed(self, action: Action, key: str, reason: str | None) -> None:
        if reason is not None:
            self.act(action, reason, key)

    @work(exclusive=True, group="lost-act", exit_on_error=False)
    async def act(self, action: Action, reason: str, key: str) -> None:
        assert self.ticket is not None
        checklist = self.query_one(VerificationChecklist)
        ticket_id = self.ticket.id
        checks = checklist.attested()
        verified = checklist.verification_ids()
        try:
            client = await self.desk.ready_client()
            if action is Action.REMOVE_FACTOR:
                lost = self.lost_factor()
                assert lost is not None
                result = await client.remove_factor(
                    self.profile.id,
                    lost.id,
                    ticket_id=ticket_id,
                    reason=reason,
                    checks=checks,
                    verification_ids=verified,
                    idempotency_key=key,
                )
            elif action is Action.RESET_MFA:
                result = await client.reset_mfa(
                    self.profile.id,
                    ticket_id=ticket_id,
                    reason=reason,
                    checks=checks,
                    verification_ids=verified,
                    idempotency_key=key,
                )
            else:
                result = await client.issue_access_code(
                    self.profile.id,
                    ticket_id=ticket_id,
                    reason=reason,
                    checks=checks,
                    verification_ids=verified,
                    idempotency_key=key,
                )
        except ApiError as exc:
            self.desk.report(exc)
            return
        self.done(action, result)

    def done(self, action: Action, result: RecoveryResult) -> None:
        pending = result.status == "pending_approval"
        shown = self.query_one("#lost-result", Static)
        shown.display = True
        shown.update(f"[b]{'Requested' if pending else 'Done'}:[/b] {escape(result.summary)}")
        self.query_one("#lost-device", VerticalScroll).scroll_home(animate=False)
        if pending:
            self.outcome = "escalated"
            self.notify(result.summary, title="Sent to a team lead", timeout=10)
        else:
            self.outcome = OUTCOMES[action]
            if result.access_code is not None:
                self.app.push_screen(AccessCodeDialog(result, self.profile.name))
            else:
                self.notify(result.summary, title=ACTION_TITLES[action])
        self.load()

    def action_resolve(self, outcome: str | None = None) -> None:
        """Resolve with what this branch did: the agent can still change it."""
        suggested = self.outcome or (
            "service_account_guidance" if self.is_service_account else None
        )
        super().action_resolve(outcome or suggested)
