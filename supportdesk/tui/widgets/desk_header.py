"""The header every screen shows: who is signed in, to which back end, and whether it answers."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from supportdesk.api import features
from supportdesk.api.errors import ApiError
from supportdesk.tui.aware import DeskAware
from supportdesk.tui.widgets.store_banner import StoreBanner

CONNECTION_WORDS = {
    "connecting": "◌ connecting",
    "connected": "● connected",
    "unreachable": "✕ unreachable",
    "store_down": "◐ database down",
}
APPROVALS_POLL_S = 20.0
"""How often a lead's header re-counts approvals: requests arrive from other desks."""


class DeskHeader(DeskAware, Horizontal):
    """Follows the app's reactive state, so every screen's header stays current."""

    def compose(self) -> ComposeResult:
        yield Static("supportdesk", id="header-title")
        yield Static("", id="header-agent")
        approvals = Static("", id="header-approvals")
        approvals.display = False  # leads only, and only when something waits
        yield approvals
        yield Static("", id="header-backend")
        yield Static("", id="header-connection")

    def on_mount(self) -> None:
        app = self.desk
        self.watch(app, "agent_label", self._show_agent)
        self.watch(app, "backend_label", self._show_backend)
        self.watch(app, "connection", self._show_connection)
        self.watch(app, "store_down", self._show_store, init=False)
        if app.store_down:
            self._show_store(True)
        self.set_interval(APPROVALS_POLL_S, self._poll_approvals)

    def _show_agent(self, label: str) -> None:
        self.query_one("#header-agent", Static).update(label or "not signed in")
        self.refresh_approvals()

    def _poll_approvals(self) -> None:
        if self.screen.is_current:
            self.refresh_approvals()

    @work(exclusive=True, group="header-approvals", exit_on_error=False)
    async def refresh_approvals(self) -> None:
        """Leads see how many requests wait for them; a failed poll keeps the last count."""
        app = self.desk
        widget = self.query_one("#header-approvals", Static)
        if not app.is_lead or not app.offers(features.APPROVALS):
            widget.display = False
            return
        if app.backend is None or app.connection != "connected":
            return
        try:
            summary = await app.backend.approval_summary()
        except ApiError:
            return
        waiting = summary.awaiting_you
        widget.display = waiting > 0
        widget.update(f"⚑ {waiting} approval{'s' if waiting != 1 else ''}")

    def _show_backend(self, label: str) -> None:
        self.query_one("#header-backend", Static).update(label)

    def _show_store(self, down: bool) -> None:
        """The banner under this header while the service's database does not answer."""
        banners = self.screen.query(StoreBanner)
        if down and not banners:
            self.screen.mount(StoreBanner(), after=self)
        elif not down:
            banners.remove()
        self._show_connection(self.desk.connection)

    def _show_connection(self, state: str) -> None:
        widget = self.query_one("#header-connection", Static)
        if state == "connected" and self.desk.store_down:
            state = "store_down"
        widget.update(CONNECTION_WORDS.get(state, state))
        widget.set_class(state == "connected", "-ok")
        widget.set_class(state in ("unreachable", "store_down"), "-bad")
