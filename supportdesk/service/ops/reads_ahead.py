"""Reads that run ahead of the work consuming them: how many help, and how to stop.

Export and verification read their next batches while the last one is written or
hashed. How many reads at once pay depends on where the store reads.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

READS_AHEAD = {"postgresql": 2, "sqlite": 1}
"""Batches read ahead. PostgreSQL reads in a process of its own, so two keep it busy
while this one works; SQLite reads in this process, where a second read only contends
with the work (two SQLite reads at once are slower than one here)."""


def reads_ahead(engine: AsyncEngine) -> int:
    return READS_AHEAD.get(engine.dialect.name, 1)


async def settle(tasks: list[asyncio.Task[Any]]) -> None:
    """Reads the caller left behind (it stopped early, or they guessed wrong): waited
    for, not cancelled, so their connections go back to the pool whole."""
    for task in tasks:
        with suppress(Exception):
            await task
