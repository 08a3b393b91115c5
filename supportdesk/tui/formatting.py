"""How times, ages, codes and cut text read on a narrow screen."""

from __future__ import annotations

from datetime import datetime, tzinfo

CODE_KEYS = r"[\d \-\u2010-\u2015\u2212\u3000.]*"
"""Keys a code field takes: digits (full-width too), spaces, dashes and dots, the ways
people group a code they read out; `supportdesk.rules.codes` makes the digits of them."""


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


def clip(text: str, width: int) -> str:
    """`text` in at most `width` cells, with an ellipsis where it was cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return clip(line, width)


def mask_email(address: str) -> str:
    """Enough to recognise ("b•••@cascadefreight.example"), not to harvest: the same
    mask the service uses for the destination of an e-mailed code."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def sentence(text: str) -> str:
    """A message as a sentence: capital first, full stop last."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."
