"""A SQLite store's file read front to back, beside a read that walks most of it.

SQLite reads a table a page at a time, and the log's table pages lie between its
indexes' pages, so the kernel never sees a sequential read and reads no further ahead
than the page asked for. A whole-log CSV export from a file not yet in the OS cache
ran at a quarter of its rate from a cached one (55 k rows/s against 230-270 k, 2 cores,
docs/performance.md). Read in order beside the export, each page is in the cache
before SQLite asks for it, at the disk's sequential rate; a file already cached costs
a copy per page, on the other core.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

CHUNK = 1 << 20
"""Bytes per read: one buffer, used again for each, so nothing of the file is kept."""


def store_file(engine: AsyncEngine) -> Path | None:
    """The SQLite store's file (None for PostgreSQL, or a store in memory)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def read_through(path: Path, stop: threading.Event) -> int:
    """Bytes read, front to back, until the end or `stop`; a file gone reads none."""
    buffer = bytearray(CHUNK)
    done = 0
    with suppress(OSError), path.open("rb", buffering=0) as handle:
        while not stop.is_set() and (got := handle.readinto(buffer)):
            done += got
    return done


@asynccontextmanager
async def warming(engine: AsyncEngine) -> AsyncIterator[None]:
    """The store's file read in order while the body runs; stopped when it ends."""
    path = store_file(engine)
    if path is None:
        yield
        return
    stop = threading.Event()
    reader = asyncio.create_task(asyncio.to_thread(read_through, path, stop))
    try:
        yield
    finally:
        stop.set()  # at most one more chunk is read
        with suppress(Exception):
            await reader
