"""What the audit screen and its dialogs share: the lead's zone, and how an entry reads."""

from __future__ import annotations

import json
import os
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.markup import escape

if TYPE_CHECKING:
    from supportdesk.api.models import AuditEntry
    from supportdesk.tui.app import SupportDeskApp

OUTCOME_STYLES = {"success": "green", "failed": "red", "refused": "red", "locked_out": "red"}


def lead_zone(desk: SupportDeskApp) -> tuple[str, tzinfo]:
    """The zone "today" and the chart's days are in, by IANA name (the service needs it).

    The desk's display_timezone when set, else this machine's zone when it can
    be named, else UTC (and the screen says so).
    """
    for name in (desk.settings.display_timezone, os.environ.get("TZ"), _machine_zone()):
        if name:
            try:
                return name, ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC", ZoneInfo("UTC")


def _machine_zone() -> str | None:
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return None
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else None


def entry_detail(entry: AuditEntry, zone: tzinfo) -> str:
    """Every field of an entry, the way a lead reads it top to bottom (Rich markup)."""
    at = entry.at.astimezone(zone)
    style = OUTCOME_STYLES.get(entry.outcome, "yellow")
    lines = [
        f"[b]#{entry.seq}[/b]  {at:%a %Y-%m-%d %H:%M:%S %Z}  "
        f"[b]{escape(entry.actor)}[/b] ({escape(entry.actor_role)})  "
        f"{escape(entry.action)} → [{style}]{escape(entry.outcome)}[/]",
        f"User {escape(entry.target_user or '—')} · Ticket {escape(entry.ticket_id or '—')}"
        f" · Request {escape(entry.request_id or '—')}",
        f"Why: {escape(entry.reason or '—')}",
        f"Checks: {escape(_checks(entry.verification))}",
        f"Detail: {escape(entry.detail or '—')}",
        f"[dim]Chain: prev {entry.prev_hash[:16]}… → {entry.hash[:16]}…[/dim]",
    ]
    return "\n".join(lines)


def _checks(verification: str | None) -> str:
    if not verification:
        return "—"
    try:
        found = json.loads(verification)
    except ValueError:
        return verification
    if isinstance(found, list):
        return ", ".join(str(x) for x in found) or "—"
    return verification
