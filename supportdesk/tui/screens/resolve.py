"""Resolving a ticket: an outcome from the article's tree and a note for the record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Input, Select, Static

from supportdesk.api.errors import ApiError, InvalidInput
from supportdesk.rules.tree import TICKET_OUTCOMES
from supportdesk.tui.screens.base import DeskModal

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket


class ResolveScreen(DeskModal["Ticket | None"]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, ticket: Ticket, *, outcome: str | None = None) -> None:
        super().__init__()
        self.ticket = ticket
        self.outcome = outcome

    def compose(self) -> ComposeResult:
        with Vertical(id="resolve-dialog", classes="dialog"):
            yield Static(f"Resolve {self.ticket.id}: {self.ticket.subject}", classes="dialog-title")
            yield Select(
                [(label, code) for code, label in TICKET_OUTCOMES.items()],
                prompt="Outcome",
                id="outcome",
                value=self.outcome if self.outcome else Select.NULL,
            )
            yield Input(placeholder="Note: what was done and why", id="note")
            yield Static("", id="resolve-message")
            yield Button("Resolve", id="resolve", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#outcome" if self.outcome is None else "#note").focus()

    def _say(self, text: str) -> None:
        self.query_one("#resolve-message", Static).update(text)

    @on(Input.Submitted, "#note")
    @on(Button.Pressed, "#resolve")
    def submit(self) -> None:
        outcome = self.query_one("#outcome", Select).value
        note = self.query_one("#note", Input).value.strip()
        if not isinstance(outcome, str):
            self._say("Choose an outcome.")
            return
        if not note:
            self._say("Write a note: what was done and why.")
            return
        self.resolve(outcome, note)

    @work(exclusive=True, exit_on_error=False)
    async def resolve(self, outcome: str, note: str) -> None:
        try:
            client = await self.desk.ready_client()
            ticket = await client.resolve_ticket(self.ticket.id, outcome, note)
        except InvalidInput as exc:
            self._say(exc.message)
            return
        except ApiError as exc:
            self.dismiss(None)
            self.desk.report(exc)
            return
        self.dismiss(ticket)

    def action_cancel(self) -> None:
        self.dismiss(None)
