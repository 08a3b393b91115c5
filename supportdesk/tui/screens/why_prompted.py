"""Branch 4, "why was I prompted?": the risk signal behind each recent sign-in.

It leads with the reading that matters: when a new device in a new country got the
password right and failed the code, someone else has the password, and the first
lines say so with what to do; the reply to paste is one key (y) away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from supportdesk.api import features
from supportdesk.tui.formatting import when
from supportdesk.tui.screens.branch_base import BranchScreen
from supportdesk.tui.widgets.fit_table import Column, FitTable
from supportdesk.tui.words.risk import (
    REPUTATION_WORDS,
    mfa_words,
    password_reading,
    plain_reply,
    signal_short,
    signal_words,
)

if TYPE_CHECKING:
    from supportdesk.api.risk import RiskReport

ARTICLE_NOTE = (
    "Adaptive MFA asks for a code when a sign-in looks risky: a new or unrecognised device, a new "
    "location, impossible travel between two sign-ins, or an untrusted IP address. Risk signals "
    "always prompt, whatever the device history."
)
COLUMNS = (
    Column("when", "When", 12),
    Column("device", "Device", 12, grow=2),
    Column("place", "Place", 11),
    Column("signals", "New / odd", 21, grow=1),
    Column("mfa", "MFA", 6),
)


class WhyPromptedScreen(BranchScreen):
    TITLE_TEXT = "Why was I prompted?"
    DEFAULT_OUTCOME = "explained"
    BINDINGS: ClassVar[list[BindingType]] = [
        *BranchScreen.BINDINGS,
        Binding("y", "copy_reply", "Copy reply", id="why.copy_reply"),
        Binding("r", "refresh", "Refresh", show=False, id="why.refresh"),
    ]
    ACTION_FEATURES = {"refresh": features.WHY_PROMPTED}

    report: RiskReport | None = None
    reply = ""

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="why"):
            yield Static("Reading the sign-in history…", id="why-answer")
            yield Static("Recent sign-ins (newest first)", classes="section-title")
            yield FitTable(COLUMNS, id="why-signins")
            yield Static("", id="why-detail")
            yield Static("", id="why-reply")
            yield Static(ARTICLE_NOTE, id="why-article")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        missing = self.desk.missing(features.WHY_PROMPTED)
        if missing:
            self.query_one("#why-answer", Static).update(escape(missing))
            return
        report = await self.desk.call(lambda b: b.why_prompted(self.profile.id))
        if report is not None:
            self.show(report)

    @property
    def first_name(self) -> str:
        return self.profile.name.split()[0] if self.profile.name.strip() else "the user"

    def show(self, report: RiskReport) -> None:
        self.report = report
        zone = self.desk.display_zone
        answer = self.query_one("#why-answer", Static)
        reading = password_reading(report, self.first_name, zone)
        latest = report.latest_prompt
        answer.set_class(reading is not None, "-alarm")
        if reading is not None:
            more = [
                s.message.split(": ", 1)[-1]
                for s in reading.suspect.signals
                if s.signal not in ("new_device", "new_location")
            ]
            signals = signal_words(reading.suspect) + (f" ({'; '.join(more)})" if more else "")
            answer.update(
                f"[b]⚠ {escape(reading.headline)}[/b]\n{escape(reading.happened)}\n"
                + "\n".join(f"• {escape(step)}" for step in reading.steps)
                + f"\n[dim]Signals: {escape(signals)}[/dim]"
            )
            self.reply = reading.reply
        elif latest is None:
            answer.update("No recent sign-in asked this user for a code.")
            self.reply = ""
        else:
            signals = "\n".join(f"• {escape(s.message)}" for s in latest.signals)
            answer.update(
                f"[b]Last prompt: {when(latest.at, zone)} · "
                f"{escape(latest.place)} · {escape(latest.device_name)}[/b]\n"
                f"{escape(latest.explanation)}" + (f"\n{signals}" if signals else "")
            )
            self.reply = plain_reply(latest, self.first_name, zone)
        reply = self.query_one("#why-reply", Static)
        reply.update(
            f"[b]Reply to paste[/b] ([b]y[/b] copies):\n{escape(self.reply)}" if self.reply else ""
        )
        self.query_one("#why-signins", FitTable).set_rows(
            [
                (
                    str(n),
                    [
                        when(item.at, zone),
                        item.device_name,
                        item.place,
                        signal_short(item),
                        mfa_words(item),
                    ],
                )
                for n, item in enumerate(report.signins)
            ]
        )
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#why-signins")
    def _detail(self, event: DataTable.RowHighlighted) -> None:
        if self.report is None or event.row_key.value is None:
            return
        item = self.report.signins[int(event.row_key.value)]
        reputation = REPUTATION_WORDS.get(item.ip_reputation, item.ip_reputation)
        lines = [escape(item.explanation)] + [f"• {escape(s.message)}" for s in item.signals]
        lines.append(f"IP {escape(item.ip)} (reputation: {escape(reputation)})")
        self.query_one("#why-detail", Static).update("\n".join(lines))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_reply" and not self.reply:
            return None
        return super().check_action(action, parameters)

    def action_copy_reply(self) -> None:
        """The reply on the clipboard (through the terminal, so it works over SSH too)."""
        if self.reply:
            self.app.copy_to_clipboard(self.reply)
            self.notify("The reply is on the clipboard: paste it into the ticket.")

    def action_refresh(self) -> None:
        self.load()

    def explanation(self) -> str:
        return self.reply
