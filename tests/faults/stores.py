"""A store of either kind for tests that run `supportdesk serve` as a child process.

SQLite: a file in the test's folder. PostgreSQL: a scratch database created on
the server of SUPPORTDESK_TEST_PG_URL and dropped afterwards, so these tests
never share tables with the in-process suite that wipes its own database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.serving import scratch_pg_database, sqlite_store
from tests.support import PG_URL


@contextmanager
def fresh_store(kind: str, folder: Path, prefix: str) -> Iterator[str]:
    """The URL `supportdesk serve --db` takes, for an empty store of that kind."""
    if kind == "sqlite":
        yield sqlite_store(folder)
        return
    assert PG_URL is not None
    with scratch_pg_database(PG_URL, prefix) as url:
        yield url
