"""The article's answers, searched by words: pick one to put into the reply.

Typing filters (forgiving of case, accents and small typos, in the desk's languages);
the highlighted answer is shown in full below; Enter picks it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from supportdesk.rules.quick_answers import QUICK_ANSWERS, QuickAnswer, search_quick_answers
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet


class QuickAnswerPicker(DeskModal["str | None"]):
    """Dismisses with the chosen answer's id, or None."""

    CSS_PATH = stylesheet("reply")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="quick_answers.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="quick_answers.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="quick_answers.previous"),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.query_text = query
        self.shown: list[QuickAnswer] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="qa-dialog", classes="dialog"):
            yield Static("Quick answers from the help article", classes="dialog-title")
            yield Input(
                value=self.query_text, placeholder="Search: bitwarden, travel…", id="qa-search"
            )
            yield OptionList(id="qa-list")
            yield Static("", id="qa-preview")
            yield Static("[b]Enter[/b] insert · [b]Esc[/b] cancel", id="qa-hint")

    def on_mount(self) -> None:
        self.show_answers(self.query_text)
        self.query_one("#qa-search", Input).focus()

    @on(Input.Changed, "#qa-search")
    def _typed(self, event: Input.Changed) -> None:
        self.show_answers(event.value)

    def show_answers(self, query: str) -> None:
        self.shown = search_quick_answers(query) if query.strip() else list(QUICK_ANSWERS)
        options = self.query_one("#qa-list", OptionList)
        options.clear_options()
        options.add_options([Option(escape(a.title), id=a.id) for a in self.shown])
        if self.shown:
            options.highlighted = 0
        self._preview()

    @on(OptionList.OptionHighlighted, "#qa-list")
    def _preview(self) -> None:
        answer = self.highlighted()
        preview = self.query_one("#qa-preview", Static)
        preview.update(escape(answer.text) if answer else "No answer matches these words.")

    def highlighted(self) -> QuickAnswer | None:
        index = self.query_one("#qa-list", OptionList).highlighted
        if index is None or not 0 <= index < len(self.shown):
            return None
        return self.shown[index]

    def action_move(self, step: int) -> None:
        options = self.query_one("#qa-list", OptionList)
        if self.shown:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self.shown) - 1, current + step))

    @on(Input.Submitted, "#qa-search")
    def _submitted(self) -> None:
        answer = self.highlighted()
        if answer is not None:
            self.dismiss(answer.id)

    @on(OptionList.OptionSelected, "#qa-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
