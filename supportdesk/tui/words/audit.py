"""What the audit screen and its dialogs share: the lead's zone, how an entry reads, and
the rules a filter field must meet before anything is sent.
"""

from __future__ import annotations

import json
import os
import re
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text

from supportdesk.tui.words.outcomes import action_words
from supportdesk.tui.words.recovery import CHECK_WORDS

if TYPE_CHECKING:
    from supportdesk.api.models import AuditEntry
    from supportdesk.config import DeskSettings

OUTCOME_STYLES = {"success": "green", "failed": "red", "refused": "red", "locked_out": "red"}

FILTER_RULES: Final[dict[str, tuple[int, str, str]]] = {
    "agent": (64, r"[\w.@+-]*", "an agent's username"),
    "user": (64, r"[\w.@+-]*", "a user id such as u1003"),
    "action": (48, r"[a-z_.*]*", "an action such as mfa.reset, mfa.* or reset"),
    "outcome": (24, r"[a-z_]*", "an outcome such as success or refused"),
    "ticket": (16, r"[A-Za-z0-9-]*", "a ticket id such as T-1042"),
}
"""Per filter field: the longest value the service takes, the characters it may hold (the
field refuses other keys), and what it is, for the message when it is wrong."""
TICKET_SHAPE = re.compile(r"^[A-Za-z]+-?\d+$")


def filter_problem(field: str, value: str) -> str | None:
    """Why a filter value cannot be used (None when it can): said in the field, never sent."""
    if not value or field not in FILTER_RULES:
        return None
    longest, characters, what = FILTER_RULES[field]
    if len(value) > longest or not re.fullmatch(characters, value):
        return f"{field.capitalize()} must be {what}, at most {longest} characters."
    if field == "ticket" and not TICKET_SHAPE.match(value):
        return f"Ticket must be {what}: letters, a dash, then digits."
    return None


def lead_zone(settings: DeskSettings | None) -> tuple[str, tzinfo]:
    """The zone "today" and the chart's days are in, by IANA name (the service needs it).

    The desk's display_timezone when set, else this machine's zone when it can
    be named, else UTC (and the screen says so).
    """
    chosen = settings.display_timezone if settings is not None else None
    for name in (chosen, os.environ.get("TZ"), _machine_zone()):
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


def entry_detail(entry: AuditEntry, zone: tzinfo) -> Text:
    """Every field of an entry, one per line and each cut with an ellipsis where the pane
    ends, so the chain line stays in view at 80×24."""
    at = entry.at.astimezone(zone)
    style = OUTCOME_STYLES.get(entry.outcome, "yellow")
    out = Text(no_wrap=True, overflow="ellipsis", end="")

    def field(label: str, *parts: str | tuple[str, str]) -> None:
        out.append(f"{label:<8}", style="bold")
        for part in parts:
            out.append(*part) if isinstance(part, tuple) else out.append(part)
        out.append("\n")

    field(
        f"#{entry.seq}",
        f"{at:%a %Y-%m-%d %H:%M:%S %Z} · ",
        (entry.actor, "bold"),
        f" ({entry.actor_role})",
    )
    field(
        "Action",
        f"{action_words(entry.action)} ({entry.action}) → ",
        (entry.outcome, style),
    )
    field(
        "Whom",
        f"user {entry.target_user or '—'} · ticket {entry.ticket_id or '—'}"
        f" · request {entry.request_id or '—'}",
    )
    field("Why", entry.reason or "—")
    field("Checks", _checks(entry.verification))
    field("Detail", _detail(entry.detail))
    out.append(f"{'Chain':<8}", style="bold dim")
    out.append(f"prev {entry.prev_hash[:16]}… → {entry.hash[:16]}…", style="dim")
    return out


def _checks(verification: str | None) -> str:
    if not verification:
        return "—"
    try:
        found = json.loads(verification)
    except ValueError:
        return verification
    if isinstance(found, list):
        return ", ".join(CHECK_WORDS.get(str(x), str(x)) for x in found) or "—"
    return verification


def _detail(detail: str | None) -> str:
    """A JSON detail as "key: value" fields; anything else as it is."""
    if not detail:
        return "—"
    try:
        found = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(found, dict):
        return detail
    return " · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in found.items()) or "—"


SIGNATURE_WORDS: Final[dict[bool | None, tuple[str, str, str]]] = {
    True: ("verified", "green", "its signature checks out"),
    False: (
        "FAILED",
        "bold red",
        "its signature does NOT check out: altered, or signed with another key",
    ),
    None: ("not signed", "yellow", "the provider signs no rows"),
}
"""The provider's own check of one of its audit rows: a word for the table, its style,
and a sentence for the row's detail. A failed one deserves a lead's look."""

PROVIDER_NAMES: Final[dict[str, str]] = {"privacyidea": "privacyIDEA", "builtin": "the desk"}


def signature_words(ok: bool | None) -> tuple[str, str, str]:
    """Word, style and sentence for the provider's signature check of a row."""
    return SIGNATURE_WORDS[ok]


def provider_name(name: str) -> str:
    """How the desk names an identity provider ("privacyidea" → "privacyIDEA")."""
    return PROVIDER_NAMES.get(name, name)
