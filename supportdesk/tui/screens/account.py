"""A user's account: profile, factors, recent sign-ins and open tickets on one screen."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from supportdesk.api import features
from supportdesk.rules.factor_words import factor_kind as method_name
from supportdesk.rules.quick_answers import QUICK_ANSWERS
from supportdesk.rules.tree import BRANCH_TITLES, Branch
from supportdesk.tui.commands import PaletteCommand
from supportdesk.tui.formatting import age, when
from supportdesk.tui.screens.base import DeskScreen
from supportdesk.tui.screens.resolve import ResolveScreen, resolved_notice
from supportdesk.tui.widgets.desk_header import DeskHeader
from supportdesk.tui.widgets.fit_table import Column, FitTable
from supportdesk.tui.words.branches import (
    ANSWERED_HERE,
    BRANCH_SHORT,
    branch_line,
    branch_title,
    shown_branch,
)
from supportdesk.tui.words.replies import reply_summary

if TYPE_CHECKING:
    from supportdesk.api.backend import DeskBackend
    from supportdesk.api.models import SignInEvent, Ticket, UserProfile

BRANCH_KEYS = {
    Branch.SMS_NOT_RECEIVED: "s",
    Branch.CODE_NOT_ACCEPTED: "a",
    Branch.LOST_DEVICE: "l",
    Branch.WHY_PROMPTED: "w",
    Branch.SERVICE_ACCOUNT: "l",
}
CHANNEL_WORDS = {"messenger": "chat", "email": "e-mail"}
BRANCHES = {
    "sms": (Branch.SMS_NOT_RECEIVED, features.SMS),
    "authenticator": (Branch.CODE_NOT_ACCEPTED, features.TOTP_DIAGNOSE),
    "lost_device": (Branch.LOST_DEVICE, features.LOST_DEVICE),
    "why_prompted": (Branch.WHY_PROMPTED, features.WHY_PROMPTED),
}
"""The account's branch keys: the tree's branch and the feature it needs."""

FACTOR_COLUMNS = (
    Column("method", "Method", 8, grow=1),
    Column("label", "Label", 8, grow=2),
    Column("details", "Details", 8, grow=2),
    Column("added", "Added", 12),
    Column("used", "Last used", 12),
)
SIGNIN_COLUMNS = (
    Column("when", "When", 12),
    Column("device", "Device", 8, grow=2),
    Column("place", "Place", 10, grow=3),
    Column("ip", "IP", 14),
    Column("rep", "Rep.", 7),
    Column("mfa", "MFA", 6),
)
TICKET_COLUMNS = (
    Column("id", "Ticket", 6),
    Column("age", "Age", 3),
    Column("subject", "Subject", 20, grow=1),
)


def mfa_words(prompted: bool, passed: bool | None) -> str:
    if not prompted:
        return "—"
    return "asked" if passed is None else ("passed" if passed else "failed")


class AccountScreen(DeskScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="account.back"),
        Binding("r", "refresh", "Refresh", id="account.refresh", show=False),
        Binding("x", "resolve", "Resolve", id="account.resolve"),
        Binding("s", "branch('sms')", "SMS", id="account.sms"),
        Binding("a", "branch('authenticator')", "App", id="account.authenticator"),
        Binding("l", "branch('lost_device')", "Lost", id="account.lost_device"),
        Binding("w", "branch('why_prompted')", "Why", id="account.why_prompted"),
        Binding("t", "toggle_ticket", "Full text", show=False, id="account.full_text"),
        Binding("m", "reply", "Reply", show=False, id="account.reply"),
        Binding("q", "quick_answer", "Answers", show=False, id="account.quick_answer"),
        Binding("b", "correct_branch", "Branch", show=False, id="account.branch"),
    ]
    ACTION_FEATURES = {"refresh": features.USERS}

    def __init__(
        self, user_id: str, *, ticket: Ticket | None = None, open_branch: str | None = None
    ) -> None:
        super().__init__()
        self.user_id = user_id
        self.ticket = ticket
        self.profile: UserProfile | None = None
        self.open_branch = open_branch
        """The branch (a key's parameter) to open as soon as the profile is in: Enter on
        the queue opens the ticket's branch, with this account under it."""

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with VerticalScroll(id="account"):
            yield Static("", id="ticket-card")
            yield Static("Loading…", id="profile-card")
            yield Static("Factors", classes="section-title")
            yield FitTable(FACTOR_COLUMNS, id="factors")
            yield Static("Recent sign-ins", classes="section-title")
            yield FitTable(SIGNIN_COLUMNS, id="signins")
            yield Static("", id="signins-note")
            yield Static("Open tickets", classes="section-title")
            yield FitTable(TICKET_COLUMNS, id="user-tickets")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        card = self.query_one("#ticket-card", Static)
        card.display = self.ticket is not None
        if self.ticket is not None:
            self.show_ticket(self.ticket)
        note = self.query_one("#signins-note", Static)
        missing = self.desk.missing(features.SIGNINS)
        note.update(missing or "")
        note.display = missing is not None
        self.query_one("#signins", FitTable).display = missing is None
        self.load()

    def show_ticket(self, t: Ticket) -> None:
        """The ticket with its branch (the guess, or the agent's choice) and its replies."""
        branch = shown_branch(t)
        key = BRANCH_KEYS.get(Branch(branch)) if branch in BRANCH_SHORT else None
        hint = f" ({key})" if key else " (m replies)" if branch in ANSWERED_HERE else ""
        replies = "".join(
            f"\n[dim]Reply by {escape(r.author)}: "
            f"{escape(reply_summary(r.body, r.delivery_state))}[/dim]"
            for r in t.replies
        )
        self.query_one("#ticket-card", Static).update(
            f"[b]{t.id}[/b] · {CHANNEL_WORDS.get(t.channel, t.channel)} · "
            f"{age(t.created_at, self.desk.now())} ago · {escape(branch_line(t))}{hint}\n"
            f"[b]{escape(t.subject)}[/b]\n{escape(t.text.strip())}{replies}"
        )

    def action_toggle_ticket(self) -> None:
        """The ticket shows a few lines; t shows the whole message."""
        self.query_one("#ticket-card").toggle_class("-full")

    @work(exclusive=True, group="account", exit_on_error=False)
    async def load(self) -> None:
        with_signins = self.desk.offers(features.SIGNINS)

        async def read(b: DeskBackend) -> tuple[UserProfile, list[SignInEvent], list[Ticket]]:
            signins = b.user_signins(self.user_id, limit=20) if with_signins else _none()
            profile, events, tickets = await asyncio.gather(
                b.get_user(self.user_id),
                signins,
                b.list_tickets(status="open", user_id=self.user_id),
            )
            return profile, events, tickets

        found = await self.desk.call(read)
        if found is None:
            return
        profile, signins, tickets = found
        self.profile = profile
        self.show_profile(profile)
        self.show_signins(signins)
        self.show_tickets(tickets)
        self.refresh_bindings()
        if self.open_branch is not None:
            branch, self.open_branch = self.open_branch, None
            if self.check_action("branch", (branch,)) is True:
                self.action_branch(branch)

    def show_profile(self, p: UserProfile) -> None:
        flags = []
        if p.kind == "service":
            flags.append("[b]service account[/b]")
        if p.is_admin:
            flags.append("[b]admin[/b]")
        if p.is_staff:
            flags.append("support staff")
        status = "MFA active" if p.mfa_status == "active" else "[b]MFA setup required[/b]"
        self.query_one("#profile-card", Static).update(
            f"[b]{escape(p.name)}[/b]  {escape(p.email)}\n"
            f"{escape(p.company)} · {p.region} · {p.timezone} · {status}"
            + (f" · {' · '.join(flags)}" if flags else "")
        )
        zone = self.desk.display_zone
        rows: list[tuple[str | None, list[str]]] = [
            (
                f.id,
                [
                    method_name(f.type),
                    f.label,
                    f.phone_masked or f.key_model or "",
                    when(f.created_at, zone),
                    when(f.last_used_at, zone),
                ],
            )
            for f in p.factors
        ]
        if not p.factors:
            rows = [(None, ["none", "No method is set up", "", "", ""])]
        self.query_one("#factors", FitTable).set_rows(rows)

    def show_signins(self, events: list[SignInEvent]) -> None:
        zone = self.desk.display_zone
        self.query_one("#signins", FitTable).set_rows(
            [
                (
                    None,
                    [
                        when(e.at, zone),
                        e.device_name,
                        f"{e.city}, {e.country}",
                        e.ip,
                        e.ip_reputation,
                        mfa_words(e.mfa_prompted, e.mfa_passed),
                    ],
                )
                for e in events
            ]
        )

    def show_tickets(self, tickets: list[Ticket]) -> None:
        now = self.desk.now()
        self.query_one("#user-tickets", FitTable).set_rows(
            [(t.id, [t.id, age(t.created_at, now), t.subject]) for t in tickets]
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A branch the back end cannot serve is dimmed; the screen it would open says why."""
        if action == "branch" and parameters:
            _branch, feature = BRANCHES.get(str(parameters[0]), (None, None))
            if feature is not None and not self.desk.offers(feature):
                return None
        return super().check_action(action, parameters)

    def unavailable_reason(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        if action == "branch" and parameters:
            _branch, feature = BRANCHES.get(str(parameters[0]), (None, None))
            if feature is not None:
                return self.desk.missing(feature)
        return super().unavailable_reason(action, parameters)

    def action_branch(self, branch: str) -> None:
        """Open one branch of the troubleshooting tree for this user (and ticket)."""
        from supportdesk.tui.screens.branches import branch_screen

        if self.profile is None:
            self.notify("The account is still loading.", severity="warning")
            return
        self.app.push_screen(branch_screen(branch, self.profile, self.ticket), self._branch_done)

    def _branch_done(self, resolved: Ticket | None) -> None:
        """A branch screen that resolved the ticket returns it; the account is done too."""
        if resolved is not None:
            self._resolved(resolved)
        else:
            self.load()

    def action_back(self) -> None:
        self.dismiss()

    def palette_commands(self) -> list[PaletteCommand]:
        found: list[PaletteCommand] = [
            ("Refresh the account", self.action_refresh, "Reload this user")
        ]
        for name, (branch, _feature) in BRANCHES.items():
            key = BRANCH_KEYS[branch]
            found.append(
                (
                    BRANCH_TITLES[branch],
                    partial(self.action_branch, name),
                    f"The article's steps ({key})",
                )
            )
        if self.ticket is not None:
            found.append(("Resolve this ticket", self.action_resolve, f"Close {self.ticket.id}"))
            found.append(
                ("Reply to the user", self.action_reply, f"Write about {self.ticket.id} (m)")
            )
            found.append(
                ("Another branch for this ticket", self.action_correct_branch, "Record it (b)")
            )
            found.extend(
                (
                    f"Quick answer: {answer.title}",
                    partial(self.action_reply, answer.id),
                    f"Into a reply to {self.ticket.id}",
                )
                for answer in QUICK_ANSWERS
            )
        found.append(("Back to the queue", self.action_back, "Leave this account"))
        return found

    def action_refresh(self) -> None:
        self.load()

    def action_reply(self, insert: str | None = None) -> None:
        """Write to the user about this ticket; resolving from there closes the account too."""
        from supportdesk.tui.screens.reply import ReplyScreen

        if self.ticket is None:
            self.notify("Open this account from a ticket to reply.", severity="warning")
            return
        self.app.push_screen(ReplyScreen(self.ticket, insert=insert), self._branch_done)

    def action_quick_answer(self) -> None:
        from supportdesk.tui.screens.quick_answers import QuickAnswerPicker

        if self.ticket is None:
            self.notify("Open this account from a ticket to reply.", severity="warning")
            return
        self.app.push_screen(QuickAnswerPicker(), self._answer_picked)

    def _answer_picked(self, answer_id: str | None) -> None:
        if answer_id:
            self.action_reply(answer_id)

    def action_correct_branch(self) -> None:
        from supportdesk.tui.screens.branch_picker import BranchPicker

        if self.ticket is not None:
            self.app.push_screen(
                BranchPicker(self.ticket.id, shown_branch(self.ticket)), self._branch_picked
            )

    def _branch_picked(self, branch: str | None) -> None:
        if self.ticket is not None and branch and branch != shown_branch(self.ticket):
            self.correct(self.ticket.id, branch)

    @work(group="account-branch", exit_on_error=False)
    async def correct(self, ticket_id: str, branch: str) -> None:
        updated = await self.desk.call(lambda b: b.correct_branch(ticket_id, branch))
        if updated is not None:
            self.ticket = updated
            self.show_ticket(updated)
            self.notify(f"{ticket_id}: {branch_title(branch)} (recorded as a correction)")

    def action_resolve(self) -> None:
        if self.ticket is None or self.ticket.status != "open":
            self.notify("Open this account from a ticket to resolve it.", severity="warning")
            return
        self.app.push_screen(ResolveScreen(self.ticket), self._resolved)

    def _resolved(self, ticket: Ticket | None) -> None:
        if ticket is not None:
            self.ticket = ticket
            self.notify(resolved_notice(ticket), title="Ticket resolved")
            self.dismiss()


async def _none() -> list[SignInEvent]:
    return []
