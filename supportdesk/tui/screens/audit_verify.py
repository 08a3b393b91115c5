"""Verify the chain from the desk: a progress bar, then "intact, N entries" or where it broke."""

from __future__ import annotations

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
    from supportdesk.api.audit import VerifyStep
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
        if self.result.first_break is None:
            bar.update(total=max(1, self.result.last_seq), progress=self.result.last_seq)
            message.update(f"[green]✓ {escape(self.result.summary)}[/green]\n[dim]Esc closes[/dim]")
        else:
            message.update(
                f"[b red]✕ {escape(self.result.summary)}[/b red]\n"
                f"[dim]Enter shows entry {self.result.first_break.seq} · Esc closes[/dim]"
            )

    def action_show_entry(self) -> None:
        if self.result is not None and self.result.first_break is not None:
            self.dismiss(self.result.first_break.seq)

    def action_close(self) -> None:
        self.dismiss(None)
