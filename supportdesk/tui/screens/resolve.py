"""Resolving a ticket: an outcome from the article's tree and a note for the record,
and the reply to the user when the reply screen opened it (sent in the same request).

The branch screen that opens it passes the outcome its work implies (a delivered
resend, a removed factor...) and the reason it already gave, so the agent reads,
edits if need be, and presses Enter: it is still their decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Input, Select, Static

from supportdesk.api.errors import InvalidInput
from supportdesk.rules.tree import TICKET_OUTCOMES
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.words.outcomes import outcome_words
from supportdesk.tui.words.replies import DELIVERY_WORDS

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket


def resolved_notice(ticket: Ticket) -> str:
    """What the toast says once a ticket is resolved: words, not the outcome's code."""
    said = f"{ticket.id} resolved: {outcome_words(ticket.outcome)}"
    if ticket.replies:
        state = ticket.replies[-1].delivery_state
        said += f" · reply {DELIVERY_WORDS.get(state, state)}"
    return said


class ResolveScreen(DeskModal["Ticket | None"]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="resolve.cancel")
    ]

    def __init__(
        self,
        ticket: Ticket,
        *,
        outcome: str | None = None,
        note: str = "",
        reply: str | None = None,
    ) -> None:
        super().__init__()
        self.ticket = ticket
        self.outcome = outcome if outcome in TICKET_OUTCOMES else None
        self.note = note
        self.reply = reply.strip() if reply and reply.strip() else None
        """Sent to the user with the resolution, in the same request."""

    def compose(self) -> ComposeResult:
        with Vertical(id="resolve-dialog", classes="dialog"):
            yield Static(
                f"Resolve {self.ticket.id}: {escape(self.ticket.subject)}", classes="dialog-title"
            )
            yield Select(
                [(label, code) for code, label in TICKET_OUTCOMES.items()],
                prompt="Outcome",
                id="outcome",
                value=self.outcome if self.outcome else Select.NULL,
            )
            yield Input(value=self.note, placeholder="Note: what was done and why", id="note")
            if self.reply is not None:
                first = self.ticket.user_name.split()[0] if self.ticket.user_name else "the user"
                yield Static(
                    f"With the reply to {escape(first)} ({len(self.reply)} characters)",
                    id="resolve-reply",
                )
            yield Static("", id="resolve-message")
            yield Static("[b]Enter[/b] resolve · [b]Esc[/b] cancel", id="resolve-hint")
            yield Button("Resolve", id="resolve", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#outcome" if self.outcome is None else "#note").focus()

    def _say(self, text: str) -> None:
        self.query_one("#resolve-message", Static).update(escape(text))

    @on(Input.Submitted, "#note")
    @on(Button.Pressed, "#resolve")
    def submit(self) -> None:
        outcome = self.query_one("#outcome", Select).value
        note = self.query_one("#note", Input).value.strip()
        if not isinstance(outcome, str):
            self._say("Choose an outcome.")
            self.query_one("#outcome", Select).focus()
            return
        if not note:
            self._say("Write a note: what was done and why.")
            return
        self.resolve(outcome, note)

    @work(exclusive=True, exit_on_error=False)
    async def resolve(self, outcome: str, note: str) -> None:
        try:
            ticket = await self.desk.call(
                lambda b: b.resolve_ticket(self.ticket.id, outcome, note, reply=self.reply),
                expect=(InvalidInput,),
            )
        except InvalidInput as exc:
            self._say(exc.message)
            return
        self.dismiss(ticket)

    def action_cancel(self) -> None:
        self.dismiss(None)
