"""Shown when the auth service cannot be reached: what happened, and a retry."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Static

from supportdesk.api.errors import ApiError
from supportdesk.tui.screens.base import DeskScreen
from supportdesk.tui.widgets.desk_header import DeskHeader


class UnreachableScreen(DeskScreen):
    BINDINGS = [
        Binding("r", "retry", "Retry", id="unreachable.retry"),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with Vertical(id="unreachable-card"):
            yield Static("The auth service is not answering", id="unreachable-title")
            yield Static(
                self.message[:1].upper() + self.message[1:] + ".", id="unreachable-message"
            )
            yield Static(
                "Nothing was changed. Check the network or the service, then press r to retry.",
                id="unreachable-help",
            )
        yield Footer(compact=True, show_command_palette=False)

    def action_retry(self) -> None:
        self.query_one("#unreachable-help", Static).update("Trying again…")
        self.retry()

    @work(exclusive=True, exit_on_error=False)
    async def retry(self) -> None:
        desk = self.desk
        if desk.backend is None or desk.capabilities is None:
            self.dismiss()
            desk.connect_backend()
            return
        try:
            await desk.backend.health()
        except ApiError as exc:
            self.query_one("#unreachable-message", Static).update(exc.message)
            self.query_one("#unreachable-help", Static).update(
                "Still not answering. Press r to retry."
            )
            return
        self.dismiss()
        desk.mark_connected()
