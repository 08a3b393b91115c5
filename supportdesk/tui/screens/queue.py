"""The ticket queue: oldest first, Enter opens the user's account."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import ColumnKey

from supportdesk.api.errors import ApiError
from supportdesk.tui.formatting import age, first_line
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.base import DeskScreen
from supportdesk.tui.screens.find_user import FindUserScreen
from supportdesk.tui.widgets.desk_header import DeskHeader

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket
    from supportdesk.tui.commands import PaletteCommand

CHANNEL_WORDS = {"messenger": "chat", "email": "mail"}
COLUMN_WIDTHS = {"age": 3, "channel": 4, "user": 16, "company": 14}


class QueueScreen(DeskScreen):
    BINDINGS = [
        Binding("enter", "open_ticket", "Open", show=True),
        Binding("r", "refresh", "Refresh", id="queue.refresh"),
        Binding("f", "find_user", "Find user", id="queue.find_user"),
        Binding("p", "approvals", "Approvals", id="queue.approvals"),
        Binding("A", "audit_log", "Audit log", id="queue.audit_log"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.tickets: dict[str, Ticket] = {}

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Open tickets", id="queue-title")
        table: DataTable[str] = DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        for label, key in (("Age", "age"), ("Via", "channel"), ("User", "user")):
            table.add_column(label, width=COLUMN_WIDTHS[key], key=key)
        table.add_column("Company", width=COLUMN_WIDTHS["company"], key="company")
        table.add_column("Ticket", width=30, key="subject")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def on_resize(self) -> None:
        """The ticket column takes whatever width the fixed columns leave."""
        table = self.query_one("#queue", DataTable)
        fixed = sum(COLUMN_WIDTHS.values()) + 2 * len(table.columns) + 2
        subject = table.columns.get(ColumnKey("subject"))
        if subject is not None:
            subject.width = max(12, self.size.width - fixed)
            subject.auto_width = False
            table.refresh()

    def on_screen_resume(self) -> None:
        if self.tickets:
            self.load()

    @work(exclusive=True, group="queue", exit_on_error=False)
    async def load(self) -> None:
        try:
            tickets = await (await self.desk.ready_client()).list_tickets()
        except ApiError as exc:
            self.desk.report(exc)
            return
        self.show(tickets)

    def show(self, tickets: list[Ticket]) -> None:
        table = self.query_one("#queue", DataTable)
        selected = self.selected_ticket()
        table.clear()
        self.tickets = {t.id: t for t in tickets}
        now = self.desk.now()
        for ticket in tickets:
            table.add_row(
                age(ticket.created_at, now),
                CHANNEL_WORDS.get(ticket.channel, ticket.channel),
                ticket.user_name,
                ticket.company,
                first_line(ticket.subject, 80),
                key=ticket.id,
            )
        count = len(tickets)
        self.query_one("#queue-title", Static).update(
            f"Open tickets · {count}" if count else "No open tickets: the queue is clear."
        )
        if selected is not None and selected.id in self.tickets:
            table.move_cursor(row=table.get_row_index(selected.id))
        table.focus()

    def selected_ticket(self) -> Ticket | None:
        table = self.query_one("#queue", DataTable)
        if not self.tickets or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.tickets.get(key or "")

    @on(DataTable.RowSelected, "#queue")
    def _row_chosen(self) -> None:
        self.action_open_ticket()

    def action_open_ticket(self) -> None:
        ticket = self.selected_ticket()
        if ticket is not None:
            self.app.push_screen(AccountScreen(ticket.user_id, ticket=ticket))

    def open_ticket_id(self, ticket_id: str) -> None:
        ticket = self.tickets.get(ticket_id)
        if ticket is not None:
            self.app.push_screen(AccountScreen(ticket.user_id, ticket=ticket))

    def action_refresh(self) -> None:
        self.load()

    def palette_commands(self) -> list[PaletteCommand]:
        """Queue actions, and "Open ticket …" for every ticket in it."""
        found: list[PaletteCommand] = [
            ("Refresh the queue", self.action_refresh, "Reload open tickets"),
            ("Find a user", self.action_find_user, "Search by name, e-mail, phone"),
        ]
        for ticket in self.tickets.values():
            found.append(
                (
                    f"Open ticket {ticket.id}: {ticket.subject}",
                    partial(self.open_ticket_id, ticket.id),
                    f"{ticket.user_name}, {ticket.company}",
                )
            )
        return found

    def action_find_user(self) -> None:
        self.app.push_screen(FindUserScreen())

    def action_approvals(self) -> None:
        """Leads decide requests there; agents follow their own."""
        from supportdesk.tui.screens.approvals import ApprovalsScreen

        self.app.push_screen(ApprovalsScreen())

    def action_audit_log(self) -> None:
        """Team leads only: an agent gets a notice here (and a 403 from the service anyway)."""
        from supportdesk.tui.screens.audit_log import open_audit_log

        open_audit_log(self.desk)
