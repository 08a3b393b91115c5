"""The SQLite adapter that runs each statement in one hand-off to aiosqlite's thread:
transactions still commit and roll back as they did, errors still arrive as SQLAlchemy's,
and a read costs one hand-off per statement with none to end it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import exc, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.service.store.engine import create_schema, make_engine, reading, sqlite_url
from supportdesk.service.store.schema import SCHEMA_VERSION, meta


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    made = make_engine(sqlite_url(tmp_path / "store.sqlite3"))
    await create_schema(made)
    yield made
    await made.dispose()


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The name of every function handed to aiosqlite's thread."""
    seen: list[str] = []
    original = aiosqlite.core.Connection._execute

    async def counted(self: aiosqlite.core.Connection, fn: Any, *args: Any, **kw: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kw)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    yield seen


async def test_a_read_hands_off_once_per_statement(
    engine: AsyncEngine, hand_offs: list[str]
) -> None:
    async with reading(engine) as conn:  # a pooled connection, opened once
        await conn.execute(select(1))
    hand_offs.clear()
    async with reading(engine) as conn:
        version = (await conn.execute(select(meta.c.value))).scalar_one()
        two = (await conn.execute(text("SELECT 1 + 1"))).scalar_one()
    assert (version, two) == (str(SCHEMA_VERSION), 2)
    assert hand_offs == ["_run", "_run"]  # no cursor, fetch or close apart; no rollback


async def test_a_write_commits_and_reports_its_rowcount(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(meta).values(key="probe", value="a"))
        changed = await conn.execute(update(meta).where(meta.c.key == "probe").values(value="b"))
        assert changed.rowcount == 1
    async with reading(engine) as conn:
        value = (await conn.execute(select(meta.c.value).where(meta.c.key == "probe"))).scalar()
    assert value == "b"


async def test_a_failed_transaction_leaves_nothing(engine: AsyncEngine) -> None:
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(meta).values(key="half", value="1"))
            await conn.execute(insert(meta).values(key="half", value="2"))  # same key
    async with reading(engine) as conn:
        found = (await conn.execute(select(meta.c.value).where(meta.c.key == "half"))).all()
    assert found == []
    # The connection went back to the pool out of its transaction: the next write works.
    async with engine.begin() as conn:
        await conn.execute(insert(meta).values(key="half", value="3"))
    async with reading(engine) as conn:
        again = (await conn.execute(select(meta.c.value).where(meta.c.key == "half"))).all()
    assert [tuple(r) for r in again] == [("3",)]


async def test_a_transaction_left_open_is_rolled_back_when_returned(engine: AsyncEngine) -> None:
    """A connection closed mid-transaction, never committed, is rolled back: its write
    is gone and SQLite's write lock is free for the next writer."""
    async with engine.connect() as conn:  # a writing connection: it begins IMMEDIATE
        await conn.execute(insert(meta).values(key="open", value="x"))
    async with reading(engine) as conn:
        found = (await conn.execute(select(meta.c.value).where(meta.c.key == "open"))).all()
    assert found == []
    async with engine.begin() as conn:
        await conn.execute(insert(meta).values(key="open", value="y"))


async def test_a_keyed_read_runs_on_the_loop_and_a_write_does_not(
    engine: AsyncEngine, hand_offs: list[str]
) -> None:
    """A keyed read hands nothing to the driver's thread; a write in a transaction still
    runs there, and the keyed read after it sees what it committed."""
    async with reading(engine, keyed=True) as conn:
        await conn.execute(select(1))
    hand_offs.clear()
    async with reading(engine, keyed=True) as conn:
        version = (await conn.execute(select(meta.c.value))).scalar_one()
    assert version == str(SCHEMA_VERSION)
    assert hand_offs == []
    async with engine.begin() as conn:
        await conn.execute(insert(meta).values(key="keyed", value="seen"))
    assert "_run" in hand_offs
    async with reading(engine, keyed=True) as conn:
        value = (await conn.execute(select(meta.c.value).where(meta.c.key == "keyed"))).scalar()
    assert value == "seen"


def _driver_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.endswith("(_connection_worker_thread)")}


async def _open_once(url: str) -> None:
    engine = make_engine(url)
    try:
        async with reading(engine) as conn:
            await conn.execute(select(1))
    finally:
        await engine.dispose()


def test_a_store_that_cannot_be_opened_leaves_no_thread_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The open fails, the loop closes at once (a command exiting), and no driver thread
    is left to report to it later: that report would print a traceback."""
    failures: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    url = sqlite_url(tmp_path / "unmounted" / "store.sqlite3")
    for _ in range(10):
        before = _driver_threads()
        with pytest.raises(exc.OperationalError, match="unable to open database file"):
            asyncio.run(_open_once(url))
        assert [t for t in _driver_threads() - before if t.is_alive()] == []
    assert [str(f.exc_value) for f in failures] == []
