"""The review queue as a dialog: pick an item and the log shows the entries behind it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from supportdesk.api.errors import InvalidInput
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet

if TYPE_CHECKING:
    from supportdesk.api.audit import ReviewItem

KIND_WORDS = {
    "reset_spike": "many resets",
    "after_hours": "after hours",
    "repeat_reset": "reset again",
    "new_device_after_reset": "new device",
}


class AuditReviewScreen(DeskModal["ReviewItem | None"]):
    """Dismisses with the chosen item (the log then shows its entries), or None."""

    CSS_PATH = stylesheet("audit")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="audit_review.close")
    ]

    def __init__(self, since: datetime | None, until: datetime | None, zone_name: str) -> None:
        super().__init__()
        self.since = since
        self.until = until
        self.zone_name = zone_name
        self.items: list[ReviewItem] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="audit-review-dialog", classes="dialog"):
            yield Static("Deserves a second look", classes="dialog-title")
            yield OptionList(id="review-items")
            yield Static("Looking through the resets…", id="review-detail")

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        try:
            queue = await self.desk.call(
                lambda b: b.audit_review(since=self.since, until=self.until, zone=self.zone_name),
                expect=(InvalidInput,),
            )
        except InvalidInput as exc:
            self.query_one("#review-detail", Static).update(f"[red]{escape(exc.message)}[/red]")
            return
        if queue is None:
            return
        self.items = list(queue.items)
        options = self.query_one("#review-items", OptionList)
        options.clear_options()
        options.add_options(
            Option(f"{KIND_WORDS.get(item.kind, item.kind):<12} {escape(item.title)}", id=str(n))
            for n, item in enumerate(self.items)
        )
        if not self.items:
            self.query_one("#review-detail", Static).update(
                "Nothing stands out in this range: no reset spikes, none after hours, "
                "no repeat resets, no new devices after a reset."
            )
        else:
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionHighlighted, "#review-items")
    def _detail(self, event: OptionList.OptionHighlighted) -> None:
        item = self.items[int(event.option.id or 0)]
        self.query_one("#review-detail", Static).update(
            f"{escape(item.detail)}\n[dim]Enter shows {len(item.seqs)} "
            f"{'entry' if len(item.seqs) == 1 else 'entries'} · Esc closes[/dim]"
        )

    @on(OptionList.OptionSelected, "#review-items")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.items[int(event.option.id or 0)])

    def action_close(self) -> None:
        self.dismiss(None)
