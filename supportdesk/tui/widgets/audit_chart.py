"""Actions per agent per day, drawn: a lead sees a busy day or a run of resets at a glance.

Two rows per agent: every action as a bar in the accent colour, and resets
beneath it as red bars scaled to the busiest reset day, so even a handful of
resets is visible beside hundreds of routine actions.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from supportdesk.api.audit import AuditCounts

BARS = "▁▂▃▄▅▆▇█"
LABEL_WIDTH = 13
TOTAL_WIDTH = 6


def _bar(value: int, top: int) -> str:
    if value <= 0 or top <= 0:
        return "·"
    return BARS[max(0, min(7, math.ceil(8 * value / top) - 1))]


def chart_text(counts: AuditCounts, width: int = 70) -> Text:
    """The chart as styled text, `width` columns wide (days grouped if they do not fit)."""
    out = Text()
    if not counts.cells:
        out.append("No actions in this range.", style="dim")
        return out
    days = counts.days
    room = max(7, width - LABEL_WIDTH - TOTAL_WIDTH)
    cell = next((w for w in (3, 2) if len(days) * w <= room), 1)
    per_column = max(1, math.ceil(len(days) / room))
    columns = [days[i : i + per_column] for i in range(0, len(days), per_column)]
    totals: dict[tuple[str, date], int] = {}
    resets: dict[tuple[str, date], int] = {}
    for found in counts.cells:
        totals[(found.agent, found.day)] = found.total
        resets[(found.agent, found.day)] = found.resets

    def summed(table: dict[tuple[str, date], int], agent: str, column: list[date]) -> int:
        return sum(table.get((agent, day), 0) for day in column)

    top_total = max(summed(totals, a, c) for a in counts.agents for c in columns)
    top_resets = max(summed(resets, a, c) for a in counts.agents for c in columns)

    out.append(" " * LABEL_WIDTH)
    if cell >= 2:
        for column in columns:
            out.append(column[0].strftime("%a")[:2].rjust(cell), style="dim")
        out.append("\n" + " " * LABEL_WIDTH)
        for column in columns:
            out.append(f"{column[0].day:>{cell}}", style="dim")
    else:
        first, last = days[0].strftime("%d %b"), days[-1].strftime("%d %b")
        span = len(columns)
        out.append(first + last.rjust(max(1, span - len(first))), style="dim")
    out.append("\n")
    for agent in counts.agents:
        name = agent if len(agent) < LABEL_WIDTH else agent[: LABEL_WIDTH - 2] + "…"
        out.append(name.ljust(LABEL_WIDTH), style="bold")
        for column in columns:
            value = summed(totals, agent, column)
            out.append(_bar(value, top_total).rjust(cell), style="cyan" if value else "dim")
        out.append(f"{sum(totals.get((agent, d), 0) for d in days):>{TOTAL_WIDTH}}\n")
        out.append("  resets".ljust(LABEL_WIDTH), style="dim")
        agent_resets = 0
        for column in columns:
            value = summed(resets, agent, column)
            agent_resets += value
            out.append(_bar(value, top_resets).rjust(cell), style="bold red" if value else "dim")
        out.append(f"{agent_resets:>{TOTAL_WIDTH}}\n", style="bold red" if agent_resets else "dim")
    return out


class AuditChart(Static):
    """Shows an AuditCounts; empty until one arrives."""

    def show(self, counts: AuditCounts) -> None:
        self.update(chart_text(counts, width=max(30, self.size.width or 70)))


def chart_range(counts: AuditCounts) -> str:
    """The days the chart really draws, as its label says them."""
    if not counts.days:
        return "no days"
    first, last = counts.days[0], counts.days[-1]
    if first == last:
        return f"{first:%a %d %b %Y}"
    return f"{first:%a %d %b} → {last:%a %d %b %Y} ({len(counts.days)} days)"
