"""The user's texts, newest first: when, to which (masked) number, and what became of them."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from rich.text import Text

from supportdesk.tui.widgets.fit_table import Cell, Column, FitTable

if TYPE_CHECKING:
    from supportdesk.api.sms import SmsDelivery

STATUS_STYLES = {
    "queued": "dim",
    "sent": "yellow",
    "delivered": "green",
    "failed": "red",
    "undelivered": "red",
}
COLUMNS = (
    Column("at", "Sent", 12),
    Column("to", "To", 15),
    Column("status", "Status", 11),
    Column("reason", "Carrier says", 12, grow=1),
)


class DeliveryLog(FitTable):
    """Rows keyed by delivery id, so a refresh keeps the agent's place. Times are today's
    clock times, with the date only for older texts; long carrier reasons are cut here
    (with an ellipsis) and shown whole in the resend step."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(COLUMNS, id=id)

    def show(self, deliveries: list[SmsDelivery], zone: tzinfo | None, now: datetime) -> None:
        today = now.astimezone(zone).date()
        rows: list[tuple[str | None, list[Cell]]] = []
        for d in deliveries:
            reason = d.reason or ""
            if d.reason_code:
                reason = f"{reason} ({d.reason_code})"
            local = d.at.astimezone(zone)
            rows.append(
                (
                    str(d.id),
                    [
                        local.strftime("%H:%M:%S" if local.date() == today else "%b %d %H:%M"),
                        d.phone_masked,
                        Text(d.status, style=STATUS_STYLES.get(d.status, "")),
                        reason or "—",
                    ],
                )
            )
        if not deliveries:
            rows.append((None, ["—", "", "", "none sent yet"]))
        self.set_rows(rows)
