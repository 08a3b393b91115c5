"""A user's account: profile, factors, recent sign-ins and open tickets on one screen."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from supportdesk.api.errors import ApiError
from supportdesk.rules.tree import BRANCH_TITLES, Branch, suggest_branch
from supportdesk.tui.formatting import age, when
from supportdesk.tui.screens.base import DeskScreen
from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.widgets.desk_header import DeskHeader

if TYPE_CHECKING:
    from supportdesk.api.models import SignInEvent, Ticket, UserProfile
    from supportdesk.tui.commands import PaletteCommand

BRANCH_KEYS = {
    Branch.SMS_NOT_RECEIVED: "s",
    Branch.CODE_NOT_ACCEPTED: "a",
    Branch.LOST_DEVICE: "l",
    Branch.WHY_PROMPTED: "w",
    Branch.SERVICE_ACCOUNT: "l",
}

FACTOR_WORDS = {"totp": "Authenticator app", "sms": "SMS", "security_key": "Security key"}


class AccountScreen(DeskScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh", id="account.refresh"),
        Binding("x", "resolve", "Resolve", id="account.resolve"),
        Binding("s", "branch('sms')", "SMS", id="account.sms"),
        Binding("a", "branch('authenticator')", "App", id="account.authenticator"),
        Binding("l", "branch('lost_device')", "Lost", id="account.lost_device"),
        Binding("w", "branch('why_prompted')", "Why", id="account.why_prompted"),
        Binding("t", "toggle_ticket", "Full text", show=False),
    ]

    def __init__(self, user_id: str, *, ticket: Ticket | None = None) -> None:
        super().__init__()
        self.user_id = user_id
        self.ticket = ticket
        self.profile: UserProfile | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with VerticalScroll(id="account"):
            yield Static("", id="ticket-card")
            yield Static("Loading…", id="profile-card")
            yield Static("Factors", classes="section-title")
            factors: DataTable[str] = DataTable(id="factors", cursor_type="row")
            factors.add_columns("Method", "Label", "Details", "Added", "Last used")
            yield factors
            yield Static("Recent sign-ins", classes="section-title")
            signins: DataTable[str] = DataTable(id="signins", cursor_type="row")
            signins.add_columns("When", "Device", "Place", "IP", "Rep.", "MFA")
            yield signins
            yield Static("Open tickets", classes="section-title")
            open_tickets: DataTable[str] = DataTable(id="user-tickets", cursor_type="row")
            open_tickets.add_columns("Ticket", "Age", "Subject")
            yield open_tickets
        yield Footer()

    def on_mount(self) -> None:
        card = self.query_one("#ticket-card", Static)
        card.display = self.ticket is not None
        if self.ticket is not None:
            t = self.ticket
            suggestion = suggest_branch(f"{t.subject}\n{t.text}")
            hint = ""
            if suggestion is not None and suggestion in BRANCH_KEYS:
                hint = f" · suggested: {BRANCH_TITLES[suggestion]} ({BRANCH_KEYS[suggestion]})"
            card.update(
                f"[b]{t.id}[/b] · {t.channel} · {age(t.created_at, self.desk.now())} ago{hint}\n"
                f"[b]{escape(t.subject)}[/b]\n{escape(t.text.strip())}"
            )
        self.load()

    def action_toggle_ticket(self) -> None:
        """The ticket shows a few lines; t shows the whole message."""
        self.query_one("#ticket-card").toggle_class("-full")

    @work(exclusive=True, group="account", exit_on_error=False)
    async def load(self) -> None:
        try:
            client = await self.desk.ready_client()
            profile, signins, tickets = await asyncio.gather(
                client.get_user(self.user_id),
                client.user_signins(self.user_id, limit=20),
                client.list_tickets(status="open", user_id=self.user_id),
            )
        except ApiError as exc:
            self.desk.report(exc)
            return
        self.profile = profile
        self.show_profile(profile)
        self.show_signins(signins)
        self.show_tickets(tickets)

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
            f"[b]{p.name}[/b]  {p.email}\n"
            f"{p.company} · {p.region} · {p.timezone} · {status}"
            + (f" · {' · '.join(flags)}" if flags else "")
        )
        table = self.query_one("#factors", DataTable)
        table.clear()
        zone = self.desk.display_zone
        for f in p.factors:
            details = f.phone_masked or f.key_model or ""
            table.add_row(
                FACTOR_WORDS.get(f.type, f.type),
                f.label,
                details,
                when(f.created_at, zone),
                when(f.last_used_at, zone),
                key=f.id,
            )
        if not p.factors:
            table.add_row("none", "No method is set up", "", "", "")

    def show_signins(self, events: list[SignInEvent]) -> None:
        table = self.query_one("#signins", DataTable)
        table.clear()
        zone = self.desk.display_zone
        for e in events:
            mfa = "—"
            if e.mfa_prompted:
                mfa = "passed" if e.mfa_passed else ("failed" if e.mfa_passed is False else "asked")
            table.add_row(
                when(e.at, zone),
                e.device_name,
                f"{e.city}, {e.country}",
                e.ip,
                e.ip_reputation,
                mfa,
            )

    def show_tickets(self, tickets: list[Ticket]) -> None:
        table = self.query_one("#user-tickets", DataTable)
        table.clear()
        now = self.desk.now()
        for t in tickets:
            table.add_row(t.id, age(t.created_at, now), t.subject, key=t.id)

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
            ("Refresh the account", self.action_refresh, "Reload this user"),
            ("SMS code not received", partial(self.action_branch, "sms"), "Branch 1"),
            (
                "Authenticator code not accepted",
                partial(self.action_branch, "authenticator"),
                "Branch 2",
            ),
            ("Lost phone or security key", partial(self.action_branch, "lost_device"), "Branch 3"),
            ("Why was I prompted?", partial(self.action_branch, "why_prompted"), "Branch 4"),
        ]
        if self.ticket is not None:
            found.append(("Resolve this ticket", self.action_resolve, f"Close {self.ticket.id}"))
        found.append(("Back to the queue", self.action_back, "Leave this account"))
        return found

    def action_refresh(self) -> None:
        self.load()

    def action_resolve(self) -> None:
        if self.ticket is None or self.ticket.status != "open":
            self.notify("Open this account from a ticket to resolve it.", severity="warning")
            return
        self.app.push_screen(ResolveScreen(self.ticket), self._resolved)

    def _resolved(self, ticket: Ticket | None) -> None:
        if ticket is not None:
            self.ticket = ticket
            self.notify(f"{ticket.id} resolved: {ticket.outcome}", title="Ticket resolved")
            self.dismiss()
