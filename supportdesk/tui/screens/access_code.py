"""The one time a one-time access code is ever shown: large, to read out."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from supportdesk.tui.formatting import when
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet

if TYPE_CHECKING:
    from supportdesk.api.recovery import RecoveryResult


class AccessCodeDialog(DeskModal[None]):
    """The one time a one-time access code is ever shown: large, to read out."""

    CSS_PATH = stylesheet("recovery")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "close", "Done", id="access_code.done"),
        Binding("escape", "close", "Done", show=False, id="access_code.close"),
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
