"""What every branch screen of the troubleshooting tree shares.

The header, a one-line strip naming the user and ticket, Escape to go back,
and "resolve the ticket with this branch's outcome" which dismisses the
screen with the resolved ticket so the account screen can close too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.widgets.desk_header import DeskHeader

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket, UserProfile
    from supportdesk.tui.app import SupportDeskApp


class BranchScreen(Screen["Ticket | None"]):
    """Subclasses set TITLE_TEXT and DEFAULT_OUTCOME and compose their body in compose_body."""

    TITLE_TEXT: ClassVar[str] = ""
    DEFAULT_OUTCOME: ClassVar[str | None] = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("x", "resolve", "Resolve", id="branch.resolve"),
    ]

    def __init__(self, profile: UserProfile, ticket: Ticket | None) -> None:
        super().__init__()
        self.profile = profile
        self.ticket = ticket

    @property
    def desk(self) -> SupportDeskApp:
        return cast("SupportDeskApp", self.app)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(self.strip_text(), classes="branch-strip")
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def strip_text(self) -> str:
        who = f"{self.profile.name} · {self.profile.company}"
        ticket = f" · {self.ticket.id}" if self.ticket else ""
        return f"[b]{self.TITLE_TEXT}[/b] · {who}{ticket}"

    def action_back(self) -> None:
        self.dismiss(None)

    def action_resolve(self, outcome: str | None = None) -> None:
        if self.ticket is None or self.ticket.status != "open":
            self.notify("No open ticket to resolve from here.", severity="warning")
            return
        self.app.push_screen(
            ResolveScreen(self.ticket, outcome=outcome or self.DEFAULT_OUTCOME), self._resolved
        )

    def _resolved(self, ticket: Ticket | None) -> None:
        if ticket is not None:
            self.dismiss(ticket)
