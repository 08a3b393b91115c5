"""The confirmation before a change to a user's account: exactly what happens, and why.

Used for removing a factor, resetting MFA, issuing an access code and for a lead's
approval or denial. It takes the reason for the audit log; Esc changes nothing.
"""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet


class ConfirmRecovery(DeskModal["str | None"]):
    """Says exactly what will happen and takes the reason for the audit log."""

    CSS_PATH = stylesheet("recovery")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel")
    ]

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
                f"[b]Enter[/b] {escape(self.confirm_word)} · [b]Esc[/b] cancel, nothing changes",
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
