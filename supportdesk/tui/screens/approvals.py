"""The approvals inbox: four-eyes on sensitive accounts, from the lead's chair.

Leads see the requests waiting for a decision (oldest first: closest to
lapsing), the detail a decision needs (who, what, why it is sensitive, which
checks, which ticket) and approve or deny. Agents open the same screen to see
where their own requests stand, and may withdraw one. The desk explains the
four-eyes rule before a lead tries to approve their own request; the service
enforces it either way.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from supportdesk.api import features
from supportdesk.rules.policy import can_approve
from supportdesk.tui.formatting import age, when
from supportdesk.tui.screens.access_code import AccessCodeDialog
from supportdesk.tui.screens.base import DeskScreen
from supportdesk.tui.screens.confirm_recovery import ConfirmRecovery
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.desk_header import DeskHeader
from supportdesk.tui.widgets.fit_table import Column, FitTable
from supportdesk.tui.words.recovery import check_words

if TYPE_CHECKING:
    from supportdesk.api.backend import DeskBackend
    from supportdesk.api.recovery import Approval, ApprovalFilter, ApprovalOutcome

COLUMNS = (
    Column("id", "#", 3),
    Column("action", "Action", 12),
    Column("user", "User", 12, grow=1),
    Column("by", "By", 10),
    Column("state", "State", 20, grow=2),
)
SHORT_ACTIONS = {
    "remove_factor": "Remove factor",
    "reset_mfa": "Reset MFA",
    "issue_access_code": "Access code",
    "reenrol_totp": "Re-enrol app",
}


class ApprovalsScreen(DeskScreen):
    """Pending requests with their detail; a lead approves (a) or denies (n)."""

    CSS_PATH = stylesheet("recovery")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="approvals.back"),
        Binding("r", "refresh", "Refresh", id="approvals.refresh"),
        Binding("a", "approve", "Approve", id="approvals.approve"),
        Binding("n", "deny", "Deny/withdraw", id="approvals.deny"),
        Binding("h", "history", "History", id="approvals.history"),
    ]
    LEAD_ONLY = {"approve": "Only a team lead approves requests."}
    ACTION_FEATURES = {
        "refresh": features.APPROVALS,
        "approve": features.APPROVALS,
        "deny": features.APPROVALS,
        "history": features.APPROVALS,
    }

    def __init__(self) -> None:
        super().__init__()
        self.approvals: dict[str, Approval] = {}
        self.history = False

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Approvals", id="approvals-title")
        yield FitTable(COLUMNS, id="approvals")
        with VerticalScroll(id="approval-detail-box"):
            yield Static("", id="approval-detail")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def is_lead(self) -> bool:
        return self.desk.is_lead

    @property
    def me(self) -> str:
        session = self.desk.session
        return session.agent.username if session is not None else ""

    def on_mount(self) -> None:
        self.history = not self.is_lead  # agents follow their own requests, decided ones too
        self.load()

    @work(exclusive=True, group="approvals", exit_on_error=False)
    async def load(self) -> None:
        missing = self.desk.missing(features.APPROVALS)
        if missing:
            self.query_one("#approval-detail", Static).update(escape(missing))
            return
        wanted: ApprovalFilter = "all" if self.history else "pending"
        found = await self.desk.call(lambda b: b.list_approvals(wanted))
        if found is not None:
            self.show(found)

    def show(self, found: list[Approval]) -> None:
        table = self.query_one("#approvals", FitTable)
        selected = self.selected()
        self.approvals = {str(a.id): a for a in found}
        now = self.desk.now()
        table.set_rows(
            [
                (
                    str(a.id),
                    [
                        str(a.id),
                        SHORT_ACTIONS.get(a.action, a.action),
                        a.target_name,
                        a.requested_by,
                        self.state_words(a, now),
                    ],
                )
                for a in found
            ]
        )
        waiting = sum(1 for a in found if a.status == "pending")
        if self.is_lead:
            scope = "all requests" if self.history else "waiting for a lead"
        else:
            scope = "your requests"
        title = f"Approvals · {scope} · {waiting} pending"
        if not found:
            title = (
                "Approvals · nothing is waiting for a decision"
                if self.is_lead and not self.history
                else "Approvals · no requests yet"
            )
        self.query_one("#approvals-title", Static).update(title)
        if selected is not None and str(selected.id) in self.approvals:
            table.move_cursor(row=table.get_row_index(str(selected.id)))
        self.show_detail(self.selected())
        table.focus()

    def state_words(self, a: Approval, now: datetime) -> str:
        if a.status == "pending":
            left = age(now, a.expires_at)
            return f"pending {age(a.created_at, now)}, lapses in {left}"
        if a.status == "expired":
            return "lapsed"
        return f"{a.status} by {a.decided_by}"

    def selected(self) -> Approval | None:
        table = self.query_one("#approvals", FitTable)
        if not self.approvals or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.approvals.get(key or "")

    @on(DataTable.RowHighlighted, "#approvals")
    def _highlighted(self) -> None:
        self.show_detail(self.selected())

    def show_detail(self, a: Approval | None) -> None:
        detail = self.query_one("#approval-detail", Static)
        if a is None:
            detail.update(
                "Requests appear here when an agent asks to change a sensitive account: "
                "admins, support staff, or anyone reset in the last 7 days."
            )
            return
        zone = self.desk.display_zone
        lapses = f" · lapses {when(a.expires_at, zone)}" if a.status == "pending" else ""
        lines = [
            f"[b]#{a.id} {escape(a.action_title)}[/b] · {a.status}{lapses}",
            f"User: [b]{escape(a.target_name)}[/b] ({a.target_user_id}) · "
            f"{escape(a.target_company)}",
        ]
        if a.factor_label:
            lines.append(f"Factor: {escape(a.factor_label)}")
        if a.sensitive_because:
            lines.append(f"Four-eyes because: {escape(' '.join(a.sensitive_because))}")
        lines.append(
            f"Asked by {escape(a.requested_by)} ({a.requested_by_role}) on "
            f"{a.ticket_id or 'no ticket'}, {when(a.created_at, zone)}"
        )
        lines.append(f"Reason: {escape(a.reason)}")
        lines.append(f"Checks: {escape(check_words(a.verification))}")
        if a.decided_by:
            note = f": {escape(a.decision_note)}" if a.decision_note else ""
            lines.append(f"Decided by {escape(a.decided_by)}, {when(a.decided_at, zone)}{note}")
        if a.status == "pending" and self.is_lead:
            verdict = can_approve(self.me, "lead", a.requested_by)
            lines.append(
                "[b]a[/b] approve: carries it out now · [b]n[/b] deny: nothing changes"
                if verdict.allowed
                else f"[b]{escape(verdict.reasons[0])}[/b]"
            )
        elif a.status == "pending":
            lines.append("Waiting for a team lead. [b]n[/b] withdraws the request.")
        detail.update("\n".join(lines))

    # -- decisions -------------------------------------------------------------------------------

    def action_approve(self) -> None:
        a = self.selected()
        if a is None or a.status != "pending":
            self.notify("Choose a pending request.", severity="warning")
            return
        if not self.is_lead:
            self.notify("Only a team lead approves requests.", severity="warning")
            return
        verdict = can_approve(self.me, "lead", a.requested_by)
        if not verdict.allowed:
            self.notify(" ".join(verdict.reasons), title="Four-eyes", severity="warning")
            return
        lines = [
            f"Approving carries it out now: {escape(a.action_title)} for "
            f"{escape(a.target_name)}"
            + (f" ({escape(a.factor_label)})" if a.factor_label else "")
            + ".",
            f"It is recorded under both names: {escape(a.requested_by)} asked, you approved.",
        ]
        if a.action == "issue_access_code":
            lines.append("The access code is then shown to you once: read it to the user.")
        elif a.action == "reenrol_totp":
            lines.append(
                "The app's codes stop working at once; at the next sign-in "
                f"{escape(a.target_name)} scans a new QR code."
            )
        self.app.push_screen(
            ConfirmRecovery(
                f"Approve #{a.id} · {escape(a.action_title)}",
                lines,
                "approve",
                placeholder="Note (optional): how you checked",
                required=False,
            ),
            partial(self._decided, a, "approve", uuid.uuid4().hex),
        )

    def action_deny(self) -> None:
        a = self.selected()
        if a is None or a.status != "pending":
            self.notify("Choose a pending request.", severity="warning")
            return
        own = a.requested_by.strip().casefold() == self.me.strip().casefold()
        if not self.is_lead and not own:
            self.notify("Only a team lead denies requests.", severity="warning")
            return
        word = "withdraw" if own else "deny"
        self.app.push_screen(
            ConfirmRecovery(
                f"{word.capitalize()} #{a.id} · {escape(a.action_title)}",
                [
                    f"Nothing changes for {escape(a.target_name)}; "
                    f"{escape(a.requested_by)} sees why."
                ],
                word,
                placeholder="Why (the requester reads this)",
            ),
            partial(self._decided, a, "deny", uuid.uuid4().hex),
        )

    def _decided(self, a: Approval, decision: str, key: str, note: str | None) -> None:
        if note is not None:
            self.decide(a, decision, note, key)

    @work(exclusive=True, group="approvals-decide", exit_on_error=False)
    async def decide(self, a: Approval, decision: str, note: str, key: str) -> None:
        async def decide(backend: DeskBackend) -> ApprovalOutcome:
            if decision == "approve":
                return await backend.approve(a.id, note, idempotency_key=key)
            return await backend.deny(a.id, note, idempotency_key=key)

        outcome = await self.desk.call(decide)
        if outcome is None:
            self.load()
            return
        result = outcome.result
        if result is not None and result.access_code is not None:
            self.app.push_screen(AccessCodeDialog(result, a.target_name))
        elif result is not None:
            self.notify(result.summary, title=f"#{a.id} approved", timeout=10)
        else:
            self.notify(f"#{a.id}: {outcome.approval.status}.", title="Request settled")
        self.load()
        self.query_one(DeskHeader).refresh_approvals()

    def action_history(self) -> None:
        self.history = not self.history
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss()
