"""How times and ages read on a narrow screen."""

from __future__ import annotations

from datetime import datetime, tzinfo


def age(since: datetime, now: datetime) -> str:
    """A compact age: 45s, 12m, 3h, 2d."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def when(at: datetime | None, zone: tzinfo | None) -> str:
    """A short local timestamp ("Nov 27 14:05"), or a dash for never."""
    if at is None:
        return "—"
    return at.astimezone(zone).strftime("%b %d %H:%M")


def first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"
