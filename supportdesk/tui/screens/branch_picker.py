"""Another branch for a ticket: the agent's correction of the desk's guess.

The correction is recorded by the service (audited, kept for the lead and as training
data, never sent anywhere); this dialog only picks the branch.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from supportdesk.rules.tree import BRANCH_TITLES
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet


class BranchPicker(DeskModal["str | None"]):
    """Dismisses with the chosen branch's code, or None."""

    CSS_PATH = stylesheet("reply")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="branch_picker.cancel"),
    ]

    def __init__(self, ticket_id: str, current: str) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="branch-dialog", classes="dialog"):
            yield Static(f"Which branch is {self.ticket_id}?", classes="dialog-title")
            yield OptionList(
                *(
                    Option(("• " if b.value == self.current else "  ") + title, id=b.value)
                    for b, title in BRANCH_TITLES.items()
                ),
                id="branch-list",
            )
            yield Static("[b]Enter[/b] choose · [b]Esc[/b] cancel", id="branch-hint")

    def on_mount(self) -> None:
        options = self.query_one("#branch-list", OptionList)
        codes = [b.value for b in BRANCH_TITLES]
        options.highlighted = codes.index(self.current) if self.current in codes else 0
        options.focus()

    @on(OptionList.OptionSelected, "#branch-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
