"""privacyIDEA's own audit rows for one user, as a dialog over the lead's audit log.

Our entries name the provider's rows by number; this shows those rows beside them, each
with the provider's own signature check in words, so a lead can cross-check both logs.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from supportdesk.api.errors import ApiError, Unauthorised
from supportdesk.tui.formatting import when
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.fit_table import Column, FitTable
from supportdesk.tui.words.audit import provider_name, signature_words

if TYPE_CHECKING:
    from supportdesk.api.audit import ProviderAudit

ROWS = 50
COLUMNS = (
    Column("number", "#", 4),
    Column("when", "When", 12),
    Column("action", "Action", 16, grow=2),
    Column("serial", "Serial", 10, grow=1),
    Column("result", "Result", 7),
    Column("signature", "Signature", 10),
)


class ProviderAuditScreen(DeskModal[None]):
    CSS_PATH = stylesheet("audit")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="provider_audit.close")
    ]

    def __init__(self, user_id: str, zone: tzinfo) -> None:
        super().__init__()
        self.user_id = user_id
        self.zone = zone
        self.audit: ProviderAudit | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="provider-audit-dialog", classes="dialog"):
            yield Static(f"The identity provider's log for {self.user_id}", classes="dialog-title")
            yield Static("Reading…", id="provider-audit-status")
            yield FitTable(COLUMNS, id="provider-audit-table", zebra_stripes=True)
            yield Static("", id="provider-audit-info")
            yield Static("Newest first · Esc closes", id="provider-audit-note")

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        status = self.query_one("#provider-audit-status", Static)
        try:
            audit = await self.desk.call(
                lambda b: b.audit_provider(self.user_id, limit=ROWS), expect=(ApiError,)
            )
        except Unauthorised as exc:
            self.desk.report(exc)
            return
        except ApiError as exc:
            status.update(Text(exc.message, style="red"))
            return
        if audit is None:
            return
        self.show(audit)

    def show(self, audit: ProviderAudit) -> None:
        self.audit = audit
        failed = sum(1 for r in audit.rows if r.signature_ok is False)
        system = provider_name(audit.provider)
        self.query_one(".dialog-title", Static).update(f"{system}'s log for {audit.user_id}")
        summary = f"{len(audit.rows)} rows in {system}'s audit"
        if not audit.rows:
            summary = f"{system}'s audit has no rows for {audit.user_id}"
        elif failed:
            summary += f" · {failed} failed the signature check"
        else:
            summary += " · every signature checks out"
        self.query_one("#provider-audit-status", Static).update(
            Text(summary, style="bold red" if failed else "")
        )
        rows: list[tuple[str | None, list[str | Text]]] = []
        for index, row in enumerate(audit.rows):
            words, style, _sentence = signature_words(row.signature_ok)
            rows.append(
                (
                    str(index),
                    [
                        str(row.number) if row.number is not None else "—",
                        when(row.at, self.zone),
                        row.action,
                        row.serial or "—",
                        Text("success", "green") if row.success else Text("failed", "red"),
                        Text(words, style=style),
                    ],
                )
            )
        table = self.query_one("#provider-audit-table", FitTable)
        table.set_rows(rows)
        table.focus()
        self._show_info()

    def on_data_table_row_highlighted(self) -> None:
        self._show_info()

    def _show_info(self) -> None:
        """The highlighted row's info, which the table has no room for."""
        table = self.query_one("#provider-audit-table", FitTable)
        info = self.query_one("#provider-audit-info", Static)
        if self.audit is None or table.row_count == 0:
            info.update("")
            return
        row = self.audit.rows[table.cursor_row]
        _word, style, sentence = signature_words(row.signature_ok)
        line = Text(f"#{row.number} {row.action}: ")
        line.append(sentence, style=style if row.signature_ok is not True else "")
        line.append(f" · {row.info or 'no info'}")
        info.update(line)

    def action_close(self) -> None:
        self.dismiss(None)
