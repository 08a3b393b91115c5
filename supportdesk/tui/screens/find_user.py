"""Find a user by name, e-mail, company or the last digits of their phone."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from supportdesk.rules.factor_words import short_methods
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.widgets.fit_table import Column, FitTable

if TYPE_CHECKING:
    from supportdesk.api.models import UserSummary

COLUMNS = (
    Column("name", "Name", 12, grow=2),
    Column("company", "Company", 10, grow=2),
    Column("region", "Region", 6),
    Column("mfa", "MFA", 8, grow=1),
)


class FindUserScreen(DeskModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", id="find_user.close")
    ]

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[str, UserSummary] = {}
        self.searched = ""
        """The text the results are for: Enter opens a single match only for what was typed."""

    def compose(self) -> ComposeResult:
        with Vertical(id="find-dialog", classes="dialog"):
            yield Static("Find a user", classes="dialog-title")
            yield Input(placeholder="name, e-mail, company or phone digits", id="query")
            yield FitTable(COLUMNS, id="results")
            yield Static(
                "Type at least two characters; Enter opens a single match.", id="find-message"
            )

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        """One match: open it. Several: go to the list to choose."""
        if len(self.results) == 1 and self.searched == event.value.strip():
            self.open(next(iter(self.results)))
            return
        if event.value.strip() != self.searched:
            self.search(event.value, open_single=True)
            return
        self.query_one("#results", FitTable).focus()

    @work(exclusive=True, exit_on_error=False)
    async def search(self, text: str, open_single: bool = False) -> None:
        message = self.query_one("#find-message", Static)
        query = text.strip()
        if len(query) < 2:
            message.update("Type at least two characters.")
            return
        users = await self.desk.call(lambda b: b.search_users(query, limit=30))
        if users is None:
            return
        self.searched = query
        self.results = {u.id: u for u in users}
        self.query_one("#results", FitTable).set_rows(
            [
                (
                    u.id,
                    [
                        u.name,
                        u.company,
                        u.region,
                        "setup needed"
                        if u.mfa_status == "setup_required"
                        else short_methods(u.factor_types),
                    ],
                )
                for u in users
            ]
        )
        if not users:
            message.update("Nobody matches.")
        elif len(users) == 1:
            message.update("1 found: Enter opens the account.")
            if open_single:
                self.open(users[0].id)
        else:
            message.update(f"{len(users)} found: ↓ to the list, Enter opens one.")

    @on(DataTable.RowSelected, "#results")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        user_id = event.row_key.value
        if user_id:
            self.open(user_id)

    def open(self, user_id: str) -> None:
        from supportdesk.tui.screens.account import AccountScreen

        self.dismiss(None)
        self.app.push_screen(AccountScreen(user_id))

    def action_cancel(self) -> None:
        self.dismiss(None)
