"""Export the current filter to a file, with a progress bar, in constant memory.

The dialog asks where to write, starting from the lead's documents folder (or the
desk's data folder), never the folder the desk happened to start in. The file's text
arrives from the service in streamed chunks and goes to disk a chunk at a time, in a
thread so the desk never freezes; the file is written as NAME.part and renamed only when
complete, so a cancelled or failed export never leaves a file that looks whole.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import IO, TYPE_CHECKING, ClassVar

import platformdirs
from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Input, ProgressBar, Select, Static

from supportdesk.api.errors import ApiError, Forbidden, ServiceUnavailable, Unauthorised
from supportdesk.config import APP_NAME
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet

if TYPE_CHECKING:
    from supportdesk.api.audit import AuditFilter, ExportFormat

FORMATS: list[tuple[str, ExportFormat]] = [("CSV", "csv"), ("JSON Lines", "jsonl")]


def export_folder(data_dir: Path | None) -> Path:
    """Where an export goes unless the lead says otherwise: their documents folder when
    there is one, else the desk's data folder; never the current directory."""
    documents = Path(platformdirs.user_documents_dir())
    if documents.is_dir():
        return documents
    return data_dir or Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _write(handle: IO[str], text: str) -> None:
    handle.write(text)


class AuditExportScreen(DeskModal[None]):
    CSS_PATH = stylesheet("audit")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="audit_export.cancel")
    ]

    def __init__(self, filters: AuditFilter, range_text: str) -> None:
        super().__init__()
        self.filters = filters
        self.range_text = range_text
        self.written = 0
        self.exported_to: Path | None = None

    def compose(self) -> ComposeResult:
        stamp = self.desk.now().strftime("%Y%m%d-%H%M")
        with Vertical(id="audit-export-dialog", classes="dialog"):
            yield Static("Export the current filter", classes="dialog-title")
            yield Static(escape(self._filter_words()), id="export-filter")
            yield Select(FORMATS, value="csv", allow_blank=False, id="export-format", compact=True)
            yield Static("Write to (edit the path, then Enter):", id="export-where")
            settings = self.desk.settings
            folder = export_folder(settings.data_dir if settings else None)
            yield Input(value=str(folder / f"audit-{stamp}.csv"), id="export-path", compact=True)
            yield Button("Export", id="export-start", variant="primary")
            yield ProgressBar(total=100, id="export-progress", show_eta=False)
            yield Static("", id="export-message")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def _filter_words(self) -> str:
        given = {k: v for k, v in self.filters.params().items() if k not in ("since", "until")}
        words = ", ".join(f"{k} {v}" for k, v in given.items()) or "every entry"
        return f"{words} · {self.range_text} · oldest first"

    def _say(self, markup: str) -> None:
        self.query_one("#export-message", Static).update(markup)

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        field = self.query_one("#export-path", Input)
        path = Path(field.value)
        if path.suffix in (".csv", ".jsonl"):
            field.value = str(path.with_suffix(f".{event.value}"))

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-start")
    def start(self) -> None:
        """Check the destination, then stream the export into it."""
        if self.exported_to is not None:
            self.dismiss(None)
            return
        fmt = self.query_one("#export-format", Select).value
        text = self.query_one("#export-path", Input).value.strip()
        if fmt not in ("csv", "jsonl") or not text:
            self._say("[yellow]Choose a format and a file name.[/yellow]")
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            self._say("[yellow]Give the whole path, from / (or ~).[/yellow]")
            return
        if path.exists():
            self._say(f"[yellow]{escape(str(path))} already exists: choose another name.[/yellow]")
            return
        if not path.parent.is_dir():
            self._say(f"[yellow]There is no folder {escape(str(path.parent))}.[/yellow]")
            return
        self.query_one("#export-start", Button).disabled = True
        self.write_export(path, "csv" if fmt == "csv" else "jsonl")

    @work(exclusive=True, exit_on_error=False)
    async def write_export(self, path: Path, fmt: ExportFormat) -> None:
        part = path.with_name(path.name + ".part")
        bar = self.query_one("#export-progress", ProgressBar)
        complete = False
        try:
            backend = await self.desk.ready_backend()
            handle = await asyncio.to_thread(part.open, "w", encoding="utf-8", newline="")
            try:
                # The service spells the file itself (CSV with its header): each chunk's
                # text is written as it comes, nothing is parsed or kept here.
                async for text, rows, fraction in backend.audit_export_text(self.filters, fmt):
                    await asyncio.to_thread(_write, handle, text)
                    self.written += rows
                    bar.update(progress=fraction * 100)
                    self._say(f"{self.written} entries written…")
            finally:
                await asyncio.to_thread(handle.close)
            await asyncio.to_thread(part.replace, path)
            complete = True
        except OSError as exc:
            self._say(f"[red]Cannot write {escape(str(path))}: {escape(str(exc))}[/red]")
            self.query_one("#export-start", Button).disabled = False
            return
        except ApiError as exc:
            self._say(f"[red]Export stopped: {escape(exc.message)}[/red]")
            self.query_one("#export-start", Button).disabled = False
            if isinstance(exc, Unauthorised | ServiceUnavailable | Forbidden):
                self.desk.report(exc)
            return
        finally:
            if not complete:  # failed or cancelled: nothing that looks like an export stays
                part.unlink(missing_ok=True)
        self.exported_to = path
        bar.update(progress=100)
        self._say(
            f"[green]✓ Exported {self.written} entries to {escape(str(path))}[/green]\n"
            "[dim]Enter or Esc closes[/dim]"
        )
        button = self.query_one("#export-start", Button)
        button.label = "Close"
        button.disabled = False
        button.focus()

    def action_cancel(self) -> None:
        """Closing mid-export cancels it (its part file is removed)."""
        self.workers.cancel_node(self)
        self.dismiss(None)
