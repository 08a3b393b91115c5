"""Opening the store: SQLite file by default, PostgreSQL by URL.

Writes go through ``engine.begin()``; on SQLite they begin IMMEDIATE, so two writers
never both read the audit head and then race to append (they queue on the write lock).
Reads go through ``reading(engine)``: a plain deferred transaction that sees the last
commit and never waits behind a writer (WAL), so `supportdesk demo phone` or a page of
the queue answers at once while the desk holds a write transaction open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from supportdesk.service.store.schema import SCHEMA_VERSION, meta, metadata
from supportdesk.service.store.upgrade import upgrade_tickets


class SchemaVersionError(RuntimeError):
    """The store was written by a newer supportdesk than this one."""


def async_url(url: str) -> str:
    """Accept plain URLs (postgresql://, sqlite:///) and pick the async drivers."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    return url


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def make_engine(url: str) -> AsyncEngine:
    """An engine whose write transactions serialise correctly on both backends."""
    url = async_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    return create_async_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)


def _tune_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        deferred = conn.get_execution_options().get(_READ_OPTION, False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


_READ_OPTION = "supportdesk_read"


def reading(engine: AsyncEngine) -> AsyncConnection:
    """A connection for reads only (``async with reading(engine) as conn``).

    On SQLite its transaction is deferred: it takes no write lock, so it neither waits
    for nor holds up a writer. Anything that writes uses ``engine.begin()`` instead.
    """
    return engine.execution_options(**{_READ_OPTION: True}).connect()


async def create_schema(engine: AsyncEngine) -> None:
    """Create missing tables and record (or check) the schema version."""
    async with engine.begin() as conn:
        await upgrade_tickets(conn)  # a store from before the intake (issue 15)
        await conn.run_sync(metadata.create_all)
        found = (
            await conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))
        ).scalar_one_or_none()
        if found is None:
            await conn.execute(
                meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION))
            )
        elif int(found) > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the store has schema version {found}; this supportdesk knows {SCHEMA_VERSION}"
            )


async def drop_schema(engine: AsyncEngine) -> None:
    """Remove every table (demo reset and tests)."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
