"""What every branch screen of the troubleshooting tree shares.

The header, a one-line strip naming the user and ticket, Escape to go back,
and "resolve the ticket with this branch's outcome" which dismisses the
screen with the resolved ticket so the account screen can close too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from supportdesk.tui.aware import DeskAware
from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.widgets.desk_header import DeskHeader

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket, UserProfile


class BranchScreen(DeskAware, Screen["Ticket | None"]):
    """Subclasses set TITLE_TEXT and DEFAULT_OUTCOME and compose their body in compose_body."""

    TITLE_TEXT: ClassVar[str] = ""
    DEFAULT_OUTCOME: ClassVar[str | None] = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="branch.back"),
        Binding("x", "resolve", "Resolve", id="branch.resolve"),
        Binding("m", "reply", "Reply", show=False, id="branch.reply"),
    ]

    def __init__(self, profile: UserProfile, ticket: Ticket | None) -> None:
        super().__init__()
        self.profile = profile
        self.ticket = ticket

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(self.strip_text(), classes="branch-strip")
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def strip_text(self) -> str:
        """The ticket before the names: a long company name must not push it off the line."""
        ticket = f" · {self.ticket.id}" if self.ticket else ""
        who = escape(f"{self.profile.name} · {self.profile.company}")
        return f"[b]{self.TITLE_TEXT}[/b]{ticket} · {who}"

    def action_back(self) -> None:
        self.dismiss(None)

    def suggested_outcome(self) -> str | None:
        """The outcome the work done here implies; None leaves the choice to the agent."""
        return self.DEFAULT_OUTCOME

    def suggested_note(self) -> str:
        """A note to start from (the reason already given for a change), or nothing."""
        return ""

    def action_resolve(self) -> None:
        if self.ticket is None or self.ticket.status != "open":
            self.notify("No open ticket to resolve from here.", severity="warning")
            return
        self.app.push_screen(
            ResolveScreen(
                self.ticket, outcome=self.suggested_outcome(), note=self.suggested_note()
            ),
            self._resolved,
        )

    def _resolved(self, ticket: Ticket | None) -> None:
        if ticket is not None:
            self.dismiss(ticket)

    def explanation(self) -> str:
        """What this branch found, worded for the user (offered first in the reply)."""
        return ""

    def action_reply(self) -> None:
        """Write to the user, with this branch's explanation ready to insert; sending it
        with the resolution closes this screen too."""
        from supportdesk.tui.screens.reply import ReplyScreen

        if self.ticket is None:
            self.notify("No ticket to reply to from here.", severity="warning")
            return
        self.app.push_screen(
            ReplyScreen(
                self.ticket,
                explanation=self.explanation(),
                outcome=self.suggested_outcome(),
                note=self.suggested_note(),
            ),
            self._resolved,
        )
