"""The header every screen shows: who is signed in, to which back end, and whether it answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

if TYPE_CHECKING:
    from supportdesk.tui.app import SupportDeskApp

CONNECTION_WORDS = {
    "connecting": "◌ connecting",
    "connected": "● connected",
    "unreachable": "✕ unreachable",
}


class DeskHeader(Horizontal):
    """Follows the app's reactive state, so every screen's header stays current."""

    def compose(self) -> ComposeResult:
        yield Static("supportdesk", id="header-title")
        yield Static("", id="header-agent")
        yield Static("", id="header-backend")
        yield Static("", id="header-connection")

    def on_mount(self) -> None:
        app: SupportDeskApp = self.app  # type: ignore[assignment]
        self.watch(app, "agent_label", self._show_agent)
        self.watch(app, "backend_label", self._show_backend)
        self.watch(app, "connection", self._show_connection)

    def _show_agent(self, label: str) -> None:
        self.query_one("#header-agent", Static).update(label or "not signed in")

    def _show_backend(self, label: str) -> None:
        self.query_one("#header-backend", Static).update(label)

    def _show_connection(self, state: str) -> None:
        widget = self.query_one("#header-connection", Static)
        widget.update(CONNECTION_WORDS.get(state, state))
        widget.set_class(state == "connected", "-ok")
        widget.set_class(state == "unreachable", "-bad")
