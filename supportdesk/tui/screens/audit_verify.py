"""Verify the chain from the desk: a progress bar, then "intact, N entries" or where it broke.

The desk keeps a signed receipt of the head each intact verification reaches (in its
data folder, one per service) and holds the next verification to it, so entries cut
from the end of the log, a deleted head row or an emptied log are said on screen.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet

if TYPE_CHECKING:
    from supportdesk.api.audit import ReceiptCheck, VerifyStep
    from supportdesk.api.backend import DeskBackend


class AuditVerifyScreen(DeskModal["int | None"]):
    """Dismisses with the seq where the chain breaks when the lead asks to see it."""

    CSS_PATH = stylesheet("audit")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="audit_verify.close"),
        Binding("enter", "show_entry", "Show the entry", id="audit_verify.show_entry"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.result: VerifyStep | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="audit-verify-dialog", classes="dialog"):
            yield Static("Verify the audit chain", classes="dialog-title")
            yield ProgressBar(id="verify-progress", show_eta=False)
            yield Static("Walking the chain from its first entry…", id="verify-message")

    def on_mount(self) -> None:
        self.run_verify()

    @work(exclusive=True, exit_on_error=False)
    async def run_verify(self) -> None:
        bar = self.query_one("#verify-progress", ProgressBar)
        message = self.query_one("#verify-message", Static)

        async def walk(backend: DeskBackend) -> VerifyStep | None:
            last = None
            async for step in backend.audit_verify():
                bar.update(total=max(1, step.head_seq), progress=step.last_seq)
                message.update(f"Checked up to entry {step.last_seq} of {step.head_seq}…")
                last = step
            return last

        self.result = await self.desk.call(walk)
        if self.result is None:
            message.update("[red]Could not verify the chain: nothing was checked.[/red]")
            return
        kept = self.receipt_file()
        check = await self.desk.call(lambda backend: hold_to_receipt(backend, kept))
        if check is not None and not check.holds:
            message.update(
                f"[b red]✕ {escape(check.summary)}[/b red]\n"
                f"[dim]{escape(self.result.summary)} · the receipt is kept in {kept} · "
                "Esc closes[/dim]"
            )
            return
        if self.result.first_break is None:
            await self.desk.call(lambda backend: keep_receipt(backend, kept))
            bar.update(total=max(1, self.result.last_seq), progress=self.result.last_seq)
            held = f"\n{escape(check.summary)}" if check is not None else ""
            message.update(
                f"[green]✓ {escape(self.result.summary)}[/green]{held}\n[dim]Esc closes[/dim]"
            )
        else:
            message.update(
                f"[b red]✕ {escape(self.result.summary)}[/b red]\n"
                f"[dim]Enter shows entry {self.result.first_break.seq} · Esc closes[/dim]"
            )

    def receipt_file(self) -> Path:
        """Where the desk keeps its receipt of this service's head."""
        from supportdesk.tui.screens.audit_export import export_folder

        settings = self.desk.settings
        folder = export_folder(settings.data_dir if settings else None)
        service = settings.api_url if settings and settings.api_url else "embedded"
        name = re.sub(r"[^A-Za-z0-9]+", "-", service).strip("-") or "service"
        return folder / "audit-receipts" / f"{name}.json"

    def action_show_entry(self) -> None:
        if self.result is not None and self.result.first_break is not None:
            self.dismiss(self.result.first_break.seq)

    def action_close(self) -> None:
        self.dismiss(None)


async def hold_to_receipt(backend: DeskBackend, path: Path) -> ReceiptCheck | None:
    """The service's verdict on the receipt kept from the last intact verification."""
    from supportdesk.api.audit import AuditReceipt

    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError:
        return None
    try:
        receipt = AuditReceipt.model_validate_json(data)
    except ValueError:
        return None
    return await backend.audit_check_receipt(receipt)


async def keep_receipt(backend: DeskBackend, path: Path) -> None:
    """A fresh receipt of the head, written beside the last one's place."""
    receipt = await backend.audit_receipt()

    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_text(receipt.model_dump_json(indent=2) + "\n", encoding="utf-8")
        part.replace(path)

    await asyncio.to_thread(write)
