"""Branch 3, lost phone or key, in the article's order.

First the user's other configured methods and how to use each (most lost
phones end there). Then, for the lost factor: remove it while another remains.
When nothing is left: verify identity (a challenge to something the user still
holds comes first) and reset MFA or issue a one-time access code, each behind
a confirmation that says exactly what will happen. The three are one action
keyed by the policy's `Action`; the policy's verdict is previewed here so the
agent knows what is missing (a key pressed too early opens the missing challenge
or points at the checklist), and the service decides. Service accounts get the
article's answer instead of any of this.
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
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from supportdesk.api import features
from supportdesk.api.backend import DeskBackend
from supportdesk.rules.factor_words import factor_kind as method_name
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
from supportdesk.tui.screens.access_code import AccessCodeDialog
from supportdesk.tui.screens.branch_base import BranchScreen
from supportdesk.tui.screens.challenge import ChallengeDialog
from supportdesk.tui.screens.confirm_recovery import ConfirmRecovery
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.fit_table import Column, FitTable
from supportdesk.tui.widgets.verification_checklist import VerificationChecklist
from supportdesk.tui.words.recovery import (
    ACTION_KEYS,
    CHECK_WORDS,
    OUTCOMES,
    SHORT_TITLES,
    check_words,
    consequences,
    other_ways_text,
    presumed_lost,
    result_line,
)

if TYPE_CHECKING:
    from supportdesk.api.models import Factor, Ticket, UserProfile
    from supportdesk.api.recovery import (
        Approval,
        ChallengeAnswered,
        ChallengeSent,
        RecoveryResult,
    )

PREVIEW_REASON = "typed at confirmation"
"""The reason is typed in the confirmation; the preview only checks everything else."""
ACTION_FEATURES_BY_ACTION = {
    Action.REMOVE_FACTOR: features.REMOVE_FACTOR,
    Action.RESET_MFA: features.RESET_MFA,
    Action.ISSUE_ACCESS_CODE: features.ACCESS_CODE,
}
STRONG_CHALLENGES = frozenset({Check.FACTOR_CHALLENGE, Check.EMAIL_CODE})
"""Checks the service verifies itself through a challenge (never a box to tick)."""
FACTOR_COLUMNS = (
    Column("lost", "", 6),
    Column("method", "Method", 17),
    Column("label", "Label", 12, grow=1),
    Column("used", "Last used", 12),
)


class LostDeviceScreen(BranchScreen):
    """Other methods first; then remove the lost factor; then verify and reset or issue a code."""

    CSS_PATH = stylesheet("recovery")

    TITLE_TEXT = "Lost phone or key"
    BINDINGS: ClassVar[list[BindingType]] = [
        *BranchScreen.BINDINGS,
        Binding("c", "challenge", "Challenge", id="lost.challenge"),
        Binding("d", "recover('remove_factor')", "Remove", id="lost.remove"),
        Binding("R", "recover('reset_mfa')", "Reset", id="lost.reset"),
        Binding("o", "recover('issue_access_code')", "Code", id="lost.access_code"),
    ]
    ACTION_FEATURES = {"challenge": features.LOST_DEVICE}

    def __init__(self, profile: UserProfile, ticket: Ticket | None) -> None:
        super().__init__(profile, ticket)
        text = (ticket.subject, ticket.text) if ticket else ("", "")
        self.lost: set[str] = presumed_lost(profile, *text)
        self.outcome: str | None = None
        self.done_action: Action | None = None
        self.pending: Action | None = None
        """An action whose key was pressed before the checks it needs were done."""
        self.reason = ""
        self.waiting: ChallengeSent | None = None
        """A challenge sent and not read back yet (the dialog was closed before the code)."""
        self.hint = ""
        """What the agent does next for a key pressed too early (shown over the readiness)."""
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
                yield Static(
                    "Factors · Enter marks or unmarks the lost one", classes="section-title"
                )
                yield FitTable(FACTOR_COLUMNS, id="lost-factors")
                yield Static("Identity checks", classes="section-title")
                yield VerificationChecklist(id="checklist")
                yield Static("", id="lost-requests")
        if not self.is_service_account:
            yield Static("", id="readiness")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if self.is_service_account:
            return
        self.query_one(VerificationChecklist).zone = self.desk.display_zone
        self.query_one("#lost-result", Static).display = False
        self.show_profile()
        self.query_one("#lost-factors", FitTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A service account gets guidance only; a missing feature is dimmed, with why."""
        if self.is_service_account and action in ("challenge", "recover"):
            return False
        if action == "recover" and parameters:
            feature = ACTION_FEATURES_BY_ACTION.get(Action(str(parameters[0])))
            if feature is not None and not self.desk.offers(feature):
                return None
        return super().check_action(action, parameters)

    def unavailable_reason(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        if action == "recover" and parameters:
            feature = ACTION_FEATURES_BY_ACTION.get(Action(str(parameters[0])))
            return self.desk.missing(feature) if feature else None
        return super().unavailable_reason(action, parameters)

    # -- loading and showing ------------------------------------------------------------------

    @work(exclusive=True, group="lost-load", exit_on_error=False)
    async def load(self) -> None:
        with_requests = self.desk.offers(features.APPROVALS)

        async def read(b: DeskBackend) -> tuple[UserProfile, list[Approval]]:
            if not with_requests:
                return await b.get_user(self.profile.id), []
            profile, requests = await asyncio.gather(
                b.get_user(self.profile.id),
                b.list_approvals("all", user_id=self.profile.id, limit=5),
            )
            return profile, requests

        found = await self.desk.call(read)
        if found is None:
            return
        self.profile, self.requests = found
        self.lost &= {f.id for f in self.profile.factors}
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
        self.query_one("#other-ways", Static).update(
            other_ways_text(self.profile, self.lost, self.done_action)
        )
        zone = self.desk.display_zone
        rows: list[tuple[str | None, list[str]]] = []
        for f in self.profile.factors:
            details = f.phone_masked or f.key_model
            rows.append(
                (
                    f.id,
                    [
                        "✗ lost" if f.id in self.lost else "",
                        method_name(f.type),
                        f"{f.label} ({details})" if details else f.label,
                        when(f.last_used_at, zone),
                    ],
                )
            )
        if not self.profile.factors:
            rows.append((None, ["", "none", "No method is set up", ""]))
        self.query_one("#lost-factors", FitTable).set_rows(rows)
        self.show_readiness()

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
        feature = ACTION_FEATURES_BY_ACTION[action]
        missing = self.desk.missing(feature)
        if missing:
            return missing
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
        lines = [self.hint] if self.hint else []
        lines += [
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
        if ticket is not None:
            self.open_challenge(ticket)

    def open_challenge(self, ticket: Ticket) -> None:
        """The challenge dialog; a code sent before and not read back is offered again."""
        dialog = ChallengeDialog(self.profile, ticket.id, self.lost, waiting=self.waiting)

        def done(answered: ChallengeAnswered | None) -> None:
            self.waiting = dialog.sent if answered is None else None
            self._challenge_done(answered)

        self.app.push_screen(dialog, done)

    def _challenge_done(self, answered: ChallengeAnswered | None) -> None:
        """A verified challenge counts at once; an action waiting for it goes on."""
        if answered is None:
            self.pending = None
            return
        self.query_one(VerificationChecklist).add_verified(answered)
        pending, self.pending = self.pending, None
        if pending is not None:
            self.action_recover(pending.value)

    # -- the action -----------------------------------------------------------------------------

    def challengeable_factors(self) -> list[Factor]:
        """Working factors a code can come from over the phone (not a key, not the lost one)."""
        return [
            f for f in self.profile.factors if f.type in ("totp", "sms") and f.id not in self.lost
        ]

    def lost_factor(self) -> Factor | None:
        return next((f for f in self.profile.factors if f.id in self.lost), None)

    def action_recover(self, action_name: str) -> None:
        """Remove the lost factor, reset MFA or issue an access code: confirm exactly what
        happens; a key pressed before the checks are done leads to the one missing."""
        action = Action(action_name)
        self.hint = ""
        ticket = self._need_open_ticket()
        if ticket is None:
            return
        decision = self.preview(action)
        if action is Action.REMOVE_FACTOR and self.lost_factor() is None and not decision.refused:
            self.notify("Mark the lost factor first: Enter on its row.", severity="warning")
            return
        if decision.code is RefusalCode.VERIFICATION_REQUIRED:
            self._find_checks(action, decision, ticket)
            return
        if decision.refused:
            self.notify(" ".join(decision.reasons), title="Not yet", severity="warning")
            return
        self._confirm(action, decision, ticket)

    def _find_checks(self, action: Action, decision: Decision, ticket: Ticket) -> None:
        """A challenge first when a strong check is missing; else the checklist, to tick one."""
        checklist = self.query_one(VerificationChecklist)
        key = ACTION_KEYS[action]
        if not checklist.verified and STRONG_CHALLENGES & set(decision.missing_checks):
            self.pending = action
            self.open_challenge(ticket)
            return
        self.hint = (
            f"[b]{SHORT_TITLES[action]}[/b] needs {decision.checks_needed} more check: tick one "
            f"you did ([b]↓[/b] and [b]Space[/b]), then [b]{key}[/b] again."
        )
        self.show_readiness()
        checklist.focus_list()

    def _confirm(self, action: Action, decision: Decision, ticket: Ticket) -> None:
        lines = consequences(action, self.profile, self.lost_factor())
        checklist = self.query_one(VerificationChecklist)
        lines.append(f"Ticket {ticket.id} · checks: {check_words(checklist.check_names())}")
        word = ACTION_TITLES[action]
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

    def _confirmed(self, action: Action, key: str, reason: str | None) -> None:
        if reason is not None:
            self.act(action, reason, key)

    @work(exclusive=True, group="lost-act", exit_on_error=False)
    async def act(self, action: Action, reason: str, key: str) -> None:
        assert self.ticket is not None
        checklist = self.query_one(VerificationChecklist)
        ticket_id = self.ticket.id
        lost = self.lost_factor()
        result = await self.desk.call(
            lambda b: b.recover(
                action,
                self.profile.id,
                ticket_id=ticket_id,
                reason=reason,
                checks=checklist.attested(),
                verification_ids=checklist.verification_ids(),
                factor_id=lost.id if action is Action.REMOVE_FACTOR and lost else None,
                idempotency_key=key,
            )
        )
        if result is not None:
            self.reason = reason
            self.done(action, result)

    def done(self, action: Action, result: RecoveryResult) -> None:
        pending = result.status == "pending_approval"
        shown = self.query_one("#lost-result", Static)
        shown.display = True
        shown.update(result_line(result))
        self.query_one("#lost-device", VerticalScroll).scroll_home(animate=False)
        if pending:
            self.outcome = "escalated"
            self.notify(result.summary, title="Sent to a team lead", timeout=10)
        else:
            self.outcome = OUTCOMES[action]
            self.done_action = action
            if result.access_code is not None:
                self.app.push_screen(AccessCodeDialog(result, self.profile.name))
            else:
                self.notify(result.summary, title=ACTION_TITLES[action])
        self.load()

    def suggested_outcome(self) -> str | None:
        """What this branch did: the agent can still change it."""
        if self.is_service_account:
            return "service_account_guidance"
        return self.outcome

    def suggested_note(self) -> str:
        return self.reason
