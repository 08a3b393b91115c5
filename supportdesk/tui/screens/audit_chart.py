"""The chart of actions per agent per day, as a dialog over the audit log's filter."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from supportdesk.api.errors import InvalidInput
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.audit_chart import AuditChart, chart_range

if TYPE_CHECKING:
    from supportdesk.api.audit import AuditCounts, AuditFilter


class AuditChartScreen(DeskModal[None]):
    CSS_PATH = stylesheet("audit")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="audit_chart.close")
    ]

    def __init__(self, filters: AuditFilter, range_text: str, zone_name: str) -> None:
        super().__init__()
        self.filters = filters
        self.range_text = range_text
        self.zone_name = zone_name
        self.counts: AuditCounts | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="audit-chart-dialog", classes="dialog"):
            yield Static("Actions per agent per day", classes="dialog-title")
            yield AuditChart("Counting…", id="audit-chart")
            yield Static(
                f"{self.range_text} · days in {self.zone_name} · resets in red · Esc closes",
                id="audit-chart-note",
            )

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        try:
            counts = await self.desk.call(
                lambda b: b.audit_counts(self.filters, self.zone_name), expect=(InvalidInput,)
            )
        except InvalidInput as exc:
            self.query_one("#audit-chart", AuditChart).update(Text(exc.message, style="red"))
            return
        if counts is None:
            return
        self.counts = counts
        self.query_one("#audit-chart", AuditChart).show(counts)
        self.query_one("#audit-chart-note", Static).update(
            f"{chart_range(counts)} · days in {self.zone_name} · resets in red · Esc closes"
        )

    def action_close(self) -> None:
        self.dismiss(None)
