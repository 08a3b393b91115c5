"""Find a user by name, e-mail, company or the last digits of their phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from supportdesk.api.errors import ApiError
from supportdesk.tui.screens.base import DeskModal

if TYPE_CHECKING:
    from supportdesk.api.models import UserSummary


class FindUserScreen(DeskModal[None]):
    BINDINGS = [Binding("escape", "cancel", "Close")]

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[str, UserSummary] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="find-dialog", classes="dialog"):
            yield Static("Find a user", classes="dialog-title")
            yield Input(placeholder="name, e-mail, company or last phone digits", id="query")
            table: DataTable[str] = DataTable(id="results", cursor_type="row")
            table.add_columns("Name", "Company", "Region", "MFA")
            yield table
            yield Static("", id="find-message")

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @on(Input.Submitted, "#query")
    def _to_results(self) -> None:
        self.query_one("#results", DataTable).focus()

    @work(exclusive=True, exit_on_error=False)
    async def search(self, text: str) -> None:
        message = self.query_one("#find-message", Static)
        if len(text.strip()) < 2:
            message.update("Type at least two characters.")
            return
        try:
            users = await (await self.desk.ready_client()).search_users(text.strip(), limit=30)
        except ApiError as exc:
            self.desk.report(exc)
            return
        table = self.query_one("#results", DataTable)
        table.clear()
        self.results = {u.id: u for u in users}
        for u in users:
            mfa = "setup" if u.mfa_status == "setup_required" else ",".join(u.factor_types)
            table.add_row(u.name, u.company, u.region, mfa, key=u.id)
        message.update(f"{len(users)} found" if users else "Nobody matches.")

    @on(DataTable.RowSelected, "#results")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        from supportdesk.tui.screens.account import AccountScreen

        user_id = event.row_key.value
        if user_id:
            self.dismiss(None)
            self.app.push_screen(AccountScreen(user_id))

    def action_cancel(self) -> None:
        self.dismiss(None)
