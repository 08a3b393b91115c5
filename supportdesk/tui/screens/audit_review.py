"""The review queue as a dialog: pick an item and the log shows the entries behind it.

The queue comes a page at a time, newest first: the next page is fetched when the lead
moves onto the last item shown, or presses m."""

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

from supportdesk.api.audit import REVIEW_PAGE
from supportdesk.api.errors import InvalidInput
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet

if TYPE_CHECKING:
    from supportdesk.api.audit import ReviewItem, ReviewQueue

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
        Binding("escape", "close", "Close", id="audit_review.close"),
        Binding("m", "more", "More items", id="audit_review.more"),
    ]

    PAGE: ClassVar[int] = REVIEW_PAGE
    """Items fetched at a time."""

    def __init__(self, since: datetime | None, until: datetime | None, zone_name: str) -> None:
        super().__init__()
        self.since = since
        self.until = until
        self.zone_name = zone_name
        self.items: list[ReviewItem] = []
        self.next_cursor: str | None = None
        self._fetching = False

    def compose(self) -> ComposeResult:
        with Vertical(id="audit-review-dialog", classes="dialog"):
            yield Static("Deserves a second look", classes="dialog-title")
            yield OptionList(id="review-items")
            yield Static("", id="review-status")
            yield Static("Looking through the resets…", id="review-detail")

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        """The first page; its range is kept, so later pages continue the same queue."""
        try:
            queue = await self.desk.call(
                lambda b: b.audit_review(
                    since=self.since, until=self.until, zone=self.zone_name, limit=self.PAGE
                ),
                expect=(InvalidInput,),
            )
        except InvalidInput as exc:
            self.query_one("#review-detail", Static).update(f"[red]{escape(exc.message)}[/red]")
            return
        if queue is None:
            return
        self.since, self.until = queue.since, queue.until
        self._show(queue)
        if not self.items:
            self.query_one("#review-detail", Static).update(
                "Nothing stands out in this range: no reset spikes, none after hours, "
                "no repeat resets, no new devices after a reset."
            )
        else:
            options = self.query_one("#review-items", OptionList)
            options.highlighted = 0
            options.focus()

    def _show(self, queue: ReviewQueue) -> None:
        """Add a page's items below those shown."""
        start = len(self.items)
        self.items.extend(queue.items)
        self.next_cursor = queue.next_cursor
        self.query_one("#review-items", OptionList).add_options(
            Option(f"{KIND_WORDS.get(item.kind, item.kind):<12} {escape(item.title)}", id=str(n))
            for n, item in enumerate(queue.items, start)
        )
        count = len(self.items)
        shown = f"{count} {'item' if count == 1 else 'items'}"
        self.query_one("#review-status", Static).update(
            f"[dim]{shown}, newest first · m or the last item fetches more[/dim]"
            if self.next_cursor
            else (f"[dim]{shown}, newest first · that is all[/dim]" if count else "")
        )

    def action_more(self) -> None:
        if self.next_cursor is not None and not self._fetching:
            self._fetching = True
            self.more()

    @work(exclusive=True, group="review-more", exit_on_error=False)
    async def more(self) -> None:
        """The page after the last one shown."""
        cursor = self.next_cursor
        try:
            queue = await self.desk.call(
                lambda b: b.audit_review(
                    since=self.since,
                    until=self.until,
                    zone=self.zone_name,
                    cursor=cursor,
                    limit=self.PAGE,
                ),
                expect=(InvalidInput,),
            )
        except InvalidInput as exc:
            self.query_one("#review-detail", Static).update(f"[red]{escape(exc.message)}[/red]")
            return
        finally:
            self._fetching = False
        if queue is not None and cursor == self.next_cursor:
            self._show(queue)

    @on(OptionList.OptionHighlighted, "#review-items")
    def _detail(self, event: OptionList.OptionHighlighted) -> None:
        index = int(event.option.id or 0)
        item = self.items[index]
        if index == len(self.items) - 1:
            self.action_more()
        self.query_one("#review-detail", Static).update(
            f"{escape(item.detail)}\n[dim]Enter shows {len(item.seqs)} "
            f"{'entry' if len(item.seqs) == 1 else 'entries'} · Esc closes[/dim]"
        )

    @on(OptionList.OptionSelected, "#review-items")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.items[int(event.option.id or 0)])

    def action_close(self) -> None:
        self.dismiss(None)
