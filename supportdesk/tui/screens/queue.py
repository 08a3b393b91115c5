"""The ticket queue: oldest first, each ticket with its branch; Enter opens that branch.

Enter opens the ticket's branch for its user (over the user's account, so Escape
lands there), or the reply screen for a question the article answers and a ticket not
about MFA (no account needed), or the account when the desk is unsure. b puts the
ticket in another branch (recorded as the agent's correction), o opens the account.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from supportdesk.api import features
from supportdesk.rules.quick_answers import QUICK_ANSWERS
from supportdesk.tui.commands import PaletteCommand
from supportdesk.tui.formatting import age, first_line
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.base import DeskScreen
from supportdesk.tui.screens.find_user import FindUserScreen
from supportdesk.tui.screens.resolve import resolved_notice
from supportdesk.tui.widgets.desk_header import DeskHeader
from supportdesk.tui.widgets.fit_table import Column, FitTable
from supportdesk.tui.words.branches import (
    ANSWERED_HERE,
    BRANCH_SCREENS,
    branch_cell,
    branch_title,
    shown_branch,
)

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket

CHANNEL_WORDS = {"messenger": "chat", "email": "mail"}
AWAITING_LEAD = "⚑ "
"""Marks a ticket whose request waits for a team lead's decision."""
COLUMNS = (
    Column("age", "Age", 3),
    Column("channel", "Via", 4),
    Column("branch", "Branch", 15),
    Column("user", "User", 12, grow=1),
    Column("company", "Company", 10, grow=1),
    Column("subject", "Ticket", 20, grow=4),
)


QUEUE_POLL_S = 10.0
"""How often the shown queue looks for tickets that arrived by mail or messenger."""


class QueueScreen(DeskScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_ticket", "Open", id="queue.open"),
        Binding("b", "correct_branch", "Branch", id="queue.branch"),
        Binding("m", "reply", "Reply", id="queue.reply"),
        Binding("q", "quick_answer", "Answers", show=False, id="queue.quick_answer"),
        Binding("o", "open_account", "Account", show=False, id="queue.account"),
        Binding("r", "refresh", "Refresh", id="queue.refresh"),
        Binding("f", "find_user", "Find user", id="queue.find_user"),
        Binding("p", "approvals", "Approvals", id="queue.approvals"),
        Binding("A", "audit_log", "Audit log", id="queue.audit_log"),
    ]
    LEAD_ONLY = {"audit_log": "The audit log is for team leads only."}
    ACTION_FEATURES = {
        "open_ticket_id": features.USERS,
        "open_account": features.USERS,
        "find_user": features.USERS,
        "approvals": features.APPROVALS,
        "audit_log": features.AUDIT,
    }

    def __init__(self) -> None:
        super().__init__()
        self.tickets: dict[str, Ticket] = {}
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Loading the open tickets…", id="queue-title")
        yield FitTable(COLUMNS, id="queue", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()
        self.set_interval(QUEUE_POLL_S, self._poll)

    def _poll(self) -> None:
        """Tickets arrive by themselves (mail, messenger): look again while shown."""
        if self.loaded and self.is_current and self.desk.connection == "connected":
            self.load()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.load()

    @work(exclusive=True, group="queue", exit_on_error=False)
    async def load(self) -> None:
        tickets = await self.desk.call(lambda b: b.list_tickets())
        if tickets is not None:
            self.show(tickets)

    def show(self, tickets: list[Ticket]) -> None:
        """The tickets, the cursor on the same ticket, or where a resolved one was."""
        table = self.query_one("#queue", FitTable)
        selected = self.selected_ticket()
        self.tickets = {t.id: t for t in tickets}
        now = self.desk.now()
        table.set_rows(
            [
                (
                    ticket.id,
                    [
                        age(ticket.created_at, now),
                        CHANNEL_WORDS.get(ticket.channel, ticket.channel),
                        branch_cell(ticket),
                        ticket.user_name,
                        ticket.company,
                        (AWAITING_LEAD if ticket.awaiting_lead else "")
                        + first_line(ticket.subject, 200),
                    ],
                )
                for ticket in tickets
            ]
        )
        count = len(tickets)
        waiting = sum(1 for t in tickets if t.awaiting_lead)
        title = f"Open tickets · {count}" if count else "No open tickets: the queue is clear."
        if waiting:
            title += f" · {AWAITING_LEAD}{waiting} waiting for a lead"
        self.query_one("#queue-title", Static).update(title)
        if selected is not None and selected.id in self.tickets:
            table.move_cursor(row=table.get_row_index(selected.id), animate=False)
        self.loaded = True
        table.focus()

    def selected_ticket(self) -> Ticket | None:
        table = self.query_one("#queue", FitTable)
        if not self.tickets or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.tickets.get(key or "")

    @on(DataTable.RowSelected, "#queue")
    def _row_chosen(self) -> None:
        self.action_open_ticket()

    def action_open_ticket(self) -> None:
        """The ticket's branch: its screen for the user, or a reply, or the account."""
        ticket = self.selected_ticket()
        if ticket is None:
            return
        branch = shown_branch(ticket)
        if branch in ANSWERED_HERE:
            self.open_reply(ticket)
        elif ticket.user_id is None:  # an unknown sender: answer them, there is no account
            self._open_account(ticket)
            self.open_reply(ticket)
        elif not self.desk.offers(features.USERS):
            self.notify(self.desk.missing(features.USERS) or "", severity="warning")
        else:
            self.app.push_screen(
                AccountScreen(ticket.user_id, ticket=ticket, open_branch=BRANCH_SCREENS.get(branch))
            )

    def action_open_account(self) -> None:
        ticket = self.selected_ticket()
        if ticket is not None:
            self._open_account(ticket)

    def open_reply(self, ticket: Ticket, insert: str | None = None) -> None:
        from supportdesk.tui.screens.reply import ReplyScreen

        self.app.push_screen(ReplyScreen(ticket, insert=insert), self._replied)

    def _replied(self, resolved: Ticket | None) -> None:
        if resolved is not None:
            self.notify(resolved_notice(resolved), title="Ticket resolved")
        self.load()

    def action_reply(self) -> None:
        ticket = self.selected_ticket()
        if ticket is not None:
            self.open_reply(ticket)

    def action_quick_answer(self) -> None:
        """Search the article's answers; the one picked opens a reply to this ticket."""
        from supportdesk.tui.screens.quick_answers import QuickAnswerPicker

        ticket = self.selected_ticket()
        if ticket is not None:
            self.app.push_screen(QuickAnswerPicker(), partial(self._answer_picked, ticket))

    def _answer_picked(self, ticket: Ticket, answer_id: str | None) -> None:
        if answer_id:
            self.open_reply(ticket, insert=answer_id)

    def action_insert_answer(self, answer_id: str) -> None:
        ticket = self.selected_ticket()
        if ticket is not None:
            self.open_reply(ticket, insert=answer_id)

    def action_correct_branch(self) -> None:
        from supportdesk.tui.screens.branch_picker import BranchPicker

        ticket = self.selected_ticket()
        if ticket is not None:
            self.app.push_screen(
                BranchPicker(ticket.id, shown_branch(ticket)), partial(self._branch_picked, ticket)
            )

    def _branch_picked(self, ticket: Ticket, branch: str | None) -> None:
        if branch and branch != shown_branch(ticket):
            self.correct(ticket.id, branch)

    @work(group="queue-branch", exit_on_error=False)
    async def correct(self, ticket_id: str, branch: str) -> None:
        updated = await self.desk.call(lambda b: b.correct_branch(ticket_id, branch))
        if updated is None:
            return
        self.tickets[ticket_id] = updated
        self.show(list(self.tickets.values()))
        self.notify(f"{ticket_id}: {branch_title(branch)} (recorded as a correction)")

    def action_open_ticket_id(self, ticket_id: str) -> None:
        ticket = self.tickets.get(ticket_id)
        if ticket is not None:
            self._open_account(ticket)

    def _open_account(self, ticket: Ticket) -> None:
        """The ticket's user's account; a sender who matched no user has none to open."""
        if ticket.user_id is None:
            self.notify(
                f"{ticket.id} is from an unknown sender ({ticket.sender or 'no address'}): "
                "no account to open. Answer them, or find the user (f) if you know who it is.",
                title="Unknown user",
                severity="warning",
            )
            return
        self.app.push_screen(AccountScreen(ticket.user_id, ticket=ticket))

    def open_ticket_id(self, ticket_id: str) -> None:
        self.action_open_ticket_id(ticket_id)

    def action_refresh(self) -> None:
        self.load()

    def palette_commands(self) -> list[PaletteCommand]:
        """Queue actions, and "Open ticket …" for every ticket in it."""
        found: list[PaletteCommand] = [
            ("Refresh the queue", self.action_refresh, "Reload open tickets"),
            ("Find a user", self.action_find_user, "Search by name, e-mail, phone"),
        ]
        selected = self.selected_ticket()
        if selected is not None:
            found.append(
                (
                    f"Reply to {selected.id}",
                    self.action_reply,
                    f"Write to {selected.user_name} (m)",
                )
            )
            found.append(
                (
                    f"Another branch for {selected.id}",
                    self.action_correct_branch,
                    "Record the right branch (b)",
                )
            )
            for answer in QUICK_ANSWERS:
                found.append(
                    (
                        f"Quick answer: {answer.title}",
                        partial(self.action_insert_answer, answer.id),
                        f"Into a reply to {selected.id}",
                    )
                )
        for ticket in self.tickets.values():
            found.append(
                (
                    f"Open ticket {ticket.id}: {ticket.subject}",
                    partial(self.action_open_ticket_id, ticket.id),
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
        """Team leads only: an agent has no such key, and the service refuses them anyway."""
        from supportdesk.tui.screens.audit_log import open_audit_log

        open_audit_log(self.desk)
