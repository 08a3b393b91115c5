"""The audit log for team leads: filter it, read an entry whole, watch new ones arrive.

The desk holds one page (a few hundred entries at most), never the log: pages
come from the service newest first by keyset, and a periodic poll asks only
for entries above the newest one shown. Chart, review queue, export and
verify open as dialogs over the current filter.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Label, Static

from supportdesk.api import features
from supportdesk.api.audit import AuditFilter
from supportdesk.api.errors import ApiError, Unauthorised
from supportdesk.rules.time_range import TimeRangeError, parse_time_range
from supportdesk.tui.commands import PaletteCommand
from supportdesk.tui.formatting import when
from supportdesk.tui.screens.base import DeskScreen
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.desk_header import DeskHeader
from supportdesk.tui.widgets.fit_table import Column, FitTable
from supportdesk.tui.words.audit import (
    FILTER_RULES,
    OUTCOME_STYLES,
    entry_detail,
    filter_problem,
    lead_zone,
)

if TYPE_CHECKING:
    from supportdesk.api.audit import ReviewItem
    from supportdesk.api.models import AuditEntry, AuditPage
    from supportdesk.tui.app import SupportDeskApp

PAGE = 50
MAX_ROWS = 200
"""New entries push the oldest rows off: the desk never holds more than this."""
LIVE_POLL_S = 5.0

FILTERS = (
    ("agent", "Agent", "username"),
    ("user", "User", "user id"),
    ("action", "Action", "reset, mfa.*"),
    ("outcome", "Outcome", "success, refused"),
    ("ticket", "Ticket", "T-1042"),
    ("when", "When", "e.g. yesterday"),
)
COLUMNS = (
    Column("seq", "#", 6),
    Column("when", "When", 12),
    Column("agent", "Agent", 9, grow=1),
    Column("action", "Action", 13, grow=2),
    Column("user", "User", 6, grow=1),
    Column("outcome", "Outcome", 8),
)


class AuditLogScreen(DeskScreen):
    """Lead-only (the service refuses anyone else); opened with A from the queue."""

    CSS_PATH = stylesheet("audit")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="audit.back"),
        Binding("slash", "filter", "Filter", id="audit.filter", key_display="/"),
        Binding("right_square_bracket", "older", "Older", id="audit.older", key_display="]"),
        Binding(
            "left_square_bracket", "newer", "Newer", show=False, id="audit.newer", key_display="["
        ),
        Binding("c", "chart", "Chart", id="audit.chart"),
        Binding("w", "review", "Review", id="audit.review"),
        Binding("e", "export", "Export", id="audit.export"),
        Binding("v", "verify", "Verify", id="audit.verify"),
        Binding("p", "provider_rows", "Provider log", show=False, id="audit.provider"),
        Binding("r", "refresh", "Refresh", show=False, id="audit.refresh"),
    ]
    ACTION_FEATURES = {
        "chart": features.AUDIT,
        "review": features.AUDIT_REVIEW,
        "export": features.AUDIT_EXPORT,
        "verify": features.AUDIT_VERIFY,
        "provider_rows": features.PROVIDER_AUDIT,
    }

    def __init__(self) -> None:
        super().__init__()
        self.filters = AuditFilter()
        self.range_text = "all time"
        self.linked: tuple[str, list[int]] | None = None
        self.cursors: list[int | None] = [None]
        self.next_cursor: int | None = None
        self.entries: list[AuditEntry] = []
        self.newest_seq = 0
        self.fresh = 0
        self.zone_name = "UTC"
        self.zone: tzinfo = UTC
        self.page_shown = False
        """The first page for the current filter is on screen: live polling may add to it."""
        self.applied: dict[str, str] = {}
        """The filter values the list shows."""

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with Vertical(id="audit-filter-bar"):
            for row in (FILTERS[:3], FILTERS[3:]):
                with Horizontal(classes="audit-filters"):
                    for key, label, hint in row:
                        yield Label(label, classes="audit-label")
                        longest, characters, _what = FILTER_RULES.get(key, (80, r".*", ""))
                        yield Input(
                            placeholder=hint,
                            id=f"audit-{key}",
                            compact=True,
                            max_length=longest,
                            restrict=characters,
                        )
        yield Static("", id="audit-status")
        yield FitTable(COLUMNS, id="audit-table", zebra_stripes=True)
        yield Static("", id="audit-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.zone_name, self.zone = lead_zone(self.desk.settings)
        self.set_interval(LIVE_POLL_S, self._live_tick)
        self.query_one("#audit-table", FitTable).focus()
        self.apply_filters()

    # -- filters ----------------------------------------------------------------------------

    def apply_filters(self) -> bool:
        """Read the filter fields and load the first page. A value that breaks a field's
        rule is said there and never sent; the field goes back to what the list shows."""
        values = {key: self.query_one(f"#audit-{key}", Input).value.strip() for key, *_ in FILTERS}
        for key, value in values.items():
            problem = filter_problem(key, value)
            if problem:
                return self._refuse(key, f"{problem} Not applied: the list is unchanged.")
        try:
            found = parse_time_range(values["when"], self.desk.now(), self.zone)
        except TimeRangeError as exc:
            return self._refuse("when", f"{exc}.")
        self.filters = AuditFilter(
            agent=values["agent"] or None,
            user=values["user"] or None,
            action=values["action"] or None,
            outcome=values["outcome"] or None,
            ticket=values["ticket"] or None,
            since=found.since.astimezone(UTC) if found.since else None,
            until=found.until.astimezone(UTC) if found.until else None,
        )
        self.range_text = found.describe()
        self.applied = values
        self.linked = None
        self._first_page()
        return True

    def _refuse(self, key: str, message: str) -> bool:
        """Say what is wrong with one field, in words that fit the screen; keep the list."""
        field = self.query_one(f"#audit-{key}", Input)
        field.value = self.applied.get(key, "")
        field.focus()
        self._status(f"[red]{escape(message)}[/red]")
        return False

    @on(Input.Submitted, ".audit-filters Input")
    def _filter_submitted(self) -> None:
        if self.apply_filters():
            self.query_one("#audit-table", FitTable).focus()

    def _first_page(self) -> None:
        self.cursors = [None]
        self.newest_seq = 0
        self.fresh = 0
        self.page_shown = False
        self.load()

    # -- pages ------------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        """New entries are fetched only onto the first page of a filter (not linked ones)."""
        return self.linked is None and len(self.cursors) == 1

    @work(exclusive=True, group="audit-page", exit_on_error=False)
    async def load(self) -> None:
        linked, filters, before = self.linked, self.filters, self.cursors[-1]
        if linked is not None:
            page = await self.desk.call(
                lambda b: b.audit_find(AuditFilter(), seqs=linked[1], limit=PAGE)
            )
        else:
            page = await self.desk.call(lambda b: b.audit_find(filters, before=before, limit=PAGE))
        if page is not None:
            self.show_page(page)

    def show_page(self, page: AuditPage) -> None:
        self.entries = list(page.entries)
        self.next_cursor = page.next_cursor
        self.page_shown = True
        if self.live:
            self.newest_seq = max([self.newest_seq, *(e.seq for e in self.entries)])
        self._redraw(keep=None)

    def _live_tick(self) -> None:
        if self.live and self.app.screen is self and self.desk.session is not None:
            self.run_worker(
                self.poll_new_entries(), group="audit-live", exclusive=True, exit_on_error=False
            )

    async def poll_new_entries(self) -> int:
        """Put entries newer than the newest shown at the top; returns how many arrived."""
        if not self.live or not self.page_shown:
            return 0  # the page for this filter is still on its way: it has them all
        filters, newest = self.filters, self.newest_seq
        try:
            page = await self.desk.call(
                lambda b: b.audit_find(filters, after=newest, limit=PAGE), expect=(ApiError,)
            )
        except Unauthorised as exc:
            self.desk.report(exc)
            return 0
        except ApiError:
            return 0  # the header shows the connection; the next tick tries again
        if page is None or filters is not self.filters or newest != self.newest_seq:
            return 0  # the filter changed meanwhile: this answer is for another list
        if not page.entries or not self.live:
            return 0
        if page.next_cursor is not None:  # more arrived than a page: start over from them
            self.entries = list(page.entries)
            self.next_cursor = page.next_cursor
        else:
            self.entries = [*page.entries, *self.entries]
            if len(self.entries) > MAX_ROWS:
                self.entries = self.entries[:MAX_ROWS]
                self.next_cursor = self.entries[-1].seq
        self.newest_seq = page.entries[0].seq
        self.fresh += len(page.entries)
        self._redraw(keep=self._selected_seq())
        return len(page.entries)

    def _redraw(self, keep: int | None) -> None:
        table = self.query_one("#audit-table", FitTable)
        rows: list[tuple[str | None, list[str | Text]]] = []
        for entry in self.entries:
            style = OUTCOME_STYLES.get(entry.outcome, "yellow")
            rows.append(
                (
                    str(entry.seq),
                    [
                        str(entry.seq),
                        when(entry.at, self.zone),
                        entry.actor,
                        Text(entry.action, style="bold red" if "reset" in entry.action else ""),
                        entry.target_user or "—",
                        Text(entry.outcome, style=style),
                    ],
                )
            )
        table.set_rows(rows)
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)), animate=False)
        self._show_detail()
        self._status_line()

    def _status_line(self) -> None:
        if self.linked is not None:
            title, seqs = self.linked
            self._status(f"[b]{title}[/b] · {len(seqs)} linked · Esc returns to the log")
            return
        count = len(self.entries)
        parts = [self.range_text]
        given = {k: v for k, v in self.applied.items() if v and k != "when"}
        if given and not self.query_one("#audit-filter-bar").display:
            parts.insert(0, ", ".join(f"{k} {escape(v)}" for k, v in given.items()))
        settings = self.desk.settings
        if self.zone_name == "UTC" and not (settings and settings.display_timezone):
            parts[0] += " (UTC)"
        if count == 0:
            parts.append("no entries match")
        else:
            page = len(self.cursors)
            parts.append(f"{count} shown" + (f", page {page}" if page > 1 else ""))
            if self.next_cursor is not None:
                parts.append("] older")
        if self.live:
            parts.append(f"live, {self.fresh} new" if self.fresh else "live")
        self._status(" · ".join(parts))

    def _status(self, markup: str) -> None:
        self.query_one("#audit-status", Static).update(markup)

    def _selected_seq(self) -> int | None:
        table = self.query_one("#audit-table", FitTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key else None

    def selected_entry(self) -> AuditEntry | None:
        seq = self._selected_seq()
        return next((e for e in self.entries if e.seq == seq), None)

    @on(DataTable.RowHighlighted, "#audit-table")
    def _show_detail(self) -> None:
        entry = self.selected_entry()
        detail = self.query_one("#audit-detail", Static)
        detail.update(entry_detail(entry, self.zone) if entry else "")

    # -- actions ----------------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        """What the command palette offers while the log is open."""
        return [
            ("Audit: chart of actions per agent per day", self.action_chart, self.range_text),
            ("Audit: review queue", self.action_review, "What deserves a second look"),
            ("Audit: export this filter", self.action_export, "CSV or JSON Lines, to a file"),
            ("Audit: verify the chain", self.action_verify, "Edited, missing or reordered?"),
            (
                "Audit: the identity provider's rows for this user",
                self.action_provider_rows,
                "With its signature check",
            ),
            ("Audit: filter", self.action_filter, "Agent, user, action, outcome, ticket, when"),
        ]

    def action_filter(self) -> None:
        """Open the filter bar (Esc there closes it again) on its first field."""
        self.query_one("#audit-filter-bar").display = True
        self.query_one("#audit-agent", Input).focus()

    def action_older(self) -> None:
        if self.linked is None and self.next_cursor is not None:
            self.cursors.append(self.next_cursor)
            self.load()

    def action_newer(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()
            self.load()

    def action_refresh(self) -> None:
        self._first_page()

    def action_back(self) -> None:
        """Esc in the filter bar closes the bar; on the list it leaves a linked view, then
        the screen."""
        if isinstance(self.focused, Input):
            self.query_one("#audit-filter-bar").display = False
            self.query_one("#audit-table", FitTable).focus()
            self._status_line()
        elif self.linked is not None:
            self.linked = None
            self._first_page()
        else:
            self.dismiss()

    def show_linked(self, title: str, seqs: list[int]) -> None:
        """Show just these entries (a review item's, or where the chain broke)."""
        if seqs:
            self.linked = (title, seqs)
            self.load()

    def action_chart(self) -> None:
        from supportdesk.tui.screens.audit_chart import AuditChartScreen

        self.app.push_screen(AuditChartScreen(self.filters, self.range_text, self.zone_name))

    def action_review(self) -> None:
        from supportdesk.tui.screens.audit_review import AuditReviewScreen

        def chosen(item: ReviewItem | None) -> None:
            if item is not None:
                self.show_linked(item.title, item.seqs)

        screen = AuditReviewScreen(self.filters.since, self.filters.until, self.zone_name)
        self.app.push_screen(screen, chosen)

    def action_export(self) -> None:
        from supportdesk.tui.screens.audit_export import AuditExportScreen

        self.app.push_screen(AuditExportScreen(self.filters, self.range_text))

    def action_verify(self) -> None:
        from supportdesk.tui.screens.audit_verify import AuditVerifyScreen

        def chosen(seq: int | None) -> None:
            if seq is not None:
                self.show_linked(f"Where the chain breaks: entry {seq}", [seq])

        self.app.push_screen(AuditVerifyScreen(), chosen)

    def action_provider_rows(self) -> None:
        """The identity provider's own rows for the selected entry's user."""
        from supportdesk.tui.screens.provider_audit import ProviderAuditScreen

        entry = self.selected_entry()
        if entry is None or not entry.target_user:
            self.notify("Select an entry about a user first.", title="Provider log")
            return
        self.app.push_screen(ProviderAuditScreen(entry.target_user, self.zone))


def open_audit_log(desk: SupportDeskApp) -> None:
    """Open the log for a team lead; anyone else is told plainly it is not for them."""
    session = desk.session
    if session is None or session.agent.role != "lead":
        desk.notify("The audit log is for team leads only.", title="Audit log", severity="warning")
        return
    desk.push_screen(AuditLogScreen())
