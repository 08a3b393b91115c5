"""The user's texts, newest first: when, to which (masked) number, and what became of them."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

if TYPE_CHECKING:
    from supportdesk.api.sms import SmsDelivery

STATUS_STYLES = {
    "queued": "dim",
    "sent": "yellow",
    "delivered": "green",
    "failed": "red",
    "undelivered": "red",
}


class DeliveryLog(DataTable[str | Text]):
    """Rows keyed by delivery id, so a refresh keeps the agent's place. Times are today's
    clock times, with the date only for older texts; long carrier reasons are cut here and
    shown whole in the resend step."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_column("Sent", key="at", width=12)
        self.add_column("To", key="to", width=16)
        self.add_column("Status", key="status", width=11)
        self.add_column("Carrier says", key="reason")

    def show(self, deliveries: list[SmsDelivery], zone: tzinfo | None, now: datetime) -> None:
        selected = self.cursor_row
        self.clear()
        today = now.astimezone(zone).date()
        for d in deliveries:
            reason = d.reason or ""
            if d.reason_code:
                reason = f"{reason} ({d.reason_code})"
            local = d.at.astimezone(zone)
            self.add_row(
                local.strftime("%H:%M:%S" if local.date() == today else "%b %d %H:%M"),
                d.phone_masked,
                Text(d.status, style=STATUS_STYLES.get(d.status, "")),
                reason or "—",
                key=str(d.id),
            )
        if not deliveries:
            self.add_row("—", "", "", "none sent yet")
        elif 0 <= selected < self.row_count:
            self.move_cursor(row=selected)
