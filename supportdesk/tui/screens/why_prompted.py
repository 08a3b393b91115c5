"""Branch 4, "why was I prompted?": the risk signal behind each recent sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from supportdesk.api.errors import ApiError
from supportdesk.tui.formatting import when
from supportdesk.tui.screens.branch_base import BranchScreen

if TYPE_CHECKING:
    from supportdesk.api.risk import RiskReport, SignInRisk

SIGNAL_WORDS = {
    "new_device": "new device",
    "new_location": "new place",
    "impossible_travel": "impossible travel",
    "untrusted_ip": "untrusted IP",
}
ARTICLE_NOTE = (
    "Adaptive MFA asks for a code when a sign-in looks risky: a new or unrecognised device, a new "
    "location, impossible travel between two sign-ins, or an untrusted IP address. Risk signals "
    "always prompt, whatever the device history."
)


def signal_words(item: SignInRisk) -> str:
    return ", ".join(SIGNAL_WORDS.get(s.signal, s.signal) for s in item.signals) or "none"


class WhyPromptedScreen(BranchScreen):
    TITLE_TEXT = "Why was I prompted?"
    DEFAULT_OUTCOME = "explained"
    BINDINGS: ClassVar[list[BindingType]] = [
        *BranchScreen.BINDINGS,
        Binding("r", "refresh", "Refresh"),
    ]

    report: RiskReport | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="why"):
            yield Static("Reading the sign-in history…", id="why-answer")
            yield Static("Recent sign-ins (newest first)", classes="section-title")
            table: DataTable[str] = DataTable(id="why-signins", cursor_type="row")
            table.add_columns("When", "Device", "Place", "Signals", "MFA")
            yield table
            yield Static("", id="why-detail")
            yield Static(ARTICLE_NOTE, id="why-article")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        try:
            client = await self.desk.ready_client()
            report = await client.why_prompted(self.profile.id)
        except ApiError as exc:
            self.desk.report(exc)
            return
        self.show(report)

    def show(self, report: RiskReport) -> None:
        self.report = report
        answer = self.query_one("#why-answer", Static)
        latest = report.latest_prompt
        if latest is None:
            answer.update("No recent sign-in asked this user for a code.")
        else:
            signals = "\n".join(f"• {escape(s.message)}" for s in latest.signals)
            answer.update(
                f"[b]Last prompt: {when(latest.at, self.desk.display_zone)} · "
                f"{escape(latest.place)} · {escape(latest.device_name)}[/b]\n"
                f"{escape(latest.explanation)}" + (f"\n{signals}" if signals else "")
            )
        table = self.query_one("#why-signins", DataTable)
        table.clear()
        for n, item in enumerate(report.signins):
            mfa = "—"
            if item.mfa_prompted:
                mfa = (
                    "asked"
                    if item.mfa_passed is None
                    else ("passed" if item.mfa_passed else "failed")
                )
            table.add_row(
                when(item.at, self.desk.display_zone),
                item.device_name,
                item.place,
                signal_words(item),
                mfa,
                key=str(n),
            )

    @on(DataTable.RowHighlighted, "#why-signins")
    def _detail(self, event: DataTable.RowHighlighted) -> None:
        if self.report is None or event.row_key.value is None:
            return
        item = self.report.signins[int(event.row_key.value)]
        lines = [escape(item.explanation)] + [f"• {escape(s.message)}" for s in item.signals]
        lines.append(f"IP {escape(item.ip)} ({escape(item.ip_reputation)})")
        self.query_one("#why-detail", Static).update("\n".join(lines))

    def action_refresh(self) -> None:
        self.load()
