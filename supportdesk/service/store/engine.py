"""Opening the store: SQLite file by default, PostgreSQL by URL.

Writes go through ``engine.begin()``; on SQLite they begin IMMEDIATE, so two writers
never both read the audit head and then race to append (they queue on the write lock).
Reads go through ``reading(engine)``: no BEGIN, each statement its own read that sees
the last commit and never waits behind a writer (WAL), so `supportdesk demo phone` or a
page of the queue answers at once while the desk holds a write transaction open.
"""

from __future__ import annotations

import errno
import socket
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from supportdesk.service.store.schema import SCHEMA_VERSION, meta, metadata
from supportdesk.service.store.sqlite_driver import ON_LOOP_OPTION, one_hop_dbapi, run_on_loop


class SchemaVersionError(RuntimeError):
    """The store was written by another version of supportdesk than this one."""

    def __init__(self, message: str, *, older: bool = False) -> None:
        super().__init__(message)
        self.older = older
        """The store predates this version (the demo's own store is simply rebuilt)."""


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
        engine = create_async_engine(url, connect_args={"timeout": 30}, module=one_hop_dbapi())
        _tune_sqlite(engine)
        return engine
    # Connections are kept, not churned: one closed past pool_size and opened again costs
    # PostgreSQL a backend process each time, at saturation on every other request.
    # Every connection prices a random page near a sequential one (the store is on SSD):
    # otherwise, until autovacuum marks fresh pages all-visible, the planner may walk the
    # primary key for a filtered audit page. Set per connection, since reads run in
    # autocommit, where a SET LOCAL is a no-op (and a round trip).
    engine = create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        connect_args={"server_settings": {"random_page_cost": "1.1"}},
    )
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_S = 1.0
"""A pooled PostgreSQL connection idle longer than this is pinged before use.

Always pinging (pool_pre_ping) costs three round trips per checkout on asyncpg (BEGIN,
";", ROLLBACK), the largest share of a short request's time under load. A connection
in steady use needs none: if the database went away meanwhile, the request fails as a
disconnect, answers 503, and SQLAlchemy drops every pooled connection, so the next
checkout connects afresh. One idle across an outage is pinged, found dead and replaced
before it is used, so the first request after the database is back succeeds.
"""


def _ping_after_idle(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            dbapi_conn.ping()
        except Exception as error:
            raise exc.DisconnectionError("the pooled connection is gone") from error


_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
}
_SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "database is locked",
    "disk i/o error",
    "database or disk is full",
    "readonly database",
)
"""SQLite errors that mean the file cannot be used right now, not that a statement is wrong."""


def store_unavailable(error: BaseException) -> bool:
    """Whether this failure means the database is not answering (down, restarting, out of
    connections), so the client should retry later, rather than that a request is wrong.

    PostgreSQL through asyncpg: a refused or dropped connection surfaces as OSError at
    connect time, as a DBAPIError marked connection_invalidated mid-statement, or as an
    OperationalError/InterfaceError (shutting down, cannot connect now). A full pool is
    SQLAlchemy's TimeoutError. Constraint and data errors are none of these.
    """
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 5:
        if _unavailable_here(current):
            return True
        current = current.__cause__
        seen += 1
    return False


def _unavailable_here(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, exc.InterfaceError):
            return True
        if isinstance(error, exc.OperationalError):
            orig = error.orig
            if type(orig).__module__.startswith("sqlite3") or "sqlite" in type(orig).__module__:
                return any(text in str(orig).lower() for text in _SQLITE_UNAVAILABLE)
            return True
        return False
    if isinstance(error, exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS:
        return True
    return type(error).__module__.startswith("asyncpg") and type(error).__name__ in (
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "AdminShutdownError",
    )


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

    run_on_loop(sync_engine)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.get_execution_options().get(_READ_OPTION, False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        # Reads issue no BEGIN: each statement is its own read transaction, as on
        # PostgreSQL in autocommit (one thread hop to aiosqlite fewer per read).


_READ_OPTION = "supportdesk_read"


def reading(engine: AsyncEngine, *, keyed: bool = False) -> Reading:
    """A connection for reads only (``async with reading(engine) as conn``).

    On SQLite it issues no BEGIN: every statement reads the last commit on its own and
    takes no write lock, so it neither waits for nor holds up a writer. On PostgreSQL it
    runs in autocommit: no BEGIN and ROLLBACK round trips around the reads. Either way
    nothing is lost, since under READ COMMITTED every statement takes its own snapshot
    anyway, and both stores now behave alike. Anything that writes uses
    ``engine.begin()`` instead.

    `keyed`: every statement is a lookup by key or index, a page at most, so on SQLite it
    runs on the event loop's own thread rather than being handed to the driver's: the
    hand-off costs more than such a read (store/sqlite_driver.py). A WAL reader takes no
    lock a writer holds, so it does not wait. Scans and long reads stay on the thread,
    where they leave the loop free.
    """
    # Made once per engine and kept on it: execution_options() builds a new option
    # engine (its events and options copied), about half a millisecond of CPU a call.
    held = engine.sync_engine.__dict__
    key = _KEYED_READERS if keyed else _READERS
    readers: AsyncEngine | None = held.get(key)
    if readers is None:
        if engine.dialect.name == "postgresql":
            readers = engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            readers = engine.execution_options(**{_READ_OPTION: True, ON_LOOP_OPTION: keyed})
        held[key] = readers
    return Reading(readers)


class Reading:
    """`async with`: a reader's connection, returned to the pool on the way out.

    SQLAlchemy's own `async with connection` closes the connection in a task of its own,
    shielded, so that a cancelled request cannot leave a transaction half rolled back: a
    task and two turns of the event loop for every read, twice per signed-in request. A
    reader has no transaction to end (no BEGIN on SQLite, autocommit on PostgreSQL), so
    its close waits on nothing and is done here, in the request's own task.
    """

    __slots__ = ("_conn", "_readers")

    def __init__(self, readers: AsyncEngine) -> None:
        self._readers = readers

    async def __aenter__(self) -> AsyncConnection:
        self._conn = await self._readers.connect().start()
        return self._conn

    async def __aexit__(self, *_exc: object) -> None:
        await self._conn.close()


_KEYED_READERS = "_supportdesk_keyed_readers"
_READERS = "_supportdesk_readers"


async def create_schema(engine: AsyncEngine) -> None:
    """Create missing tables and record (or check) the schema version."""
    async with engine.begin() as conn:
        before = await conn.run_sync(_stored_version)
        if before is not None and before < SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the store was made by an older supportdesk (schema version {before}; this "
                f"one needs {SCHEMA_VERSION}): start a new store, or for the demo run "
                "`supportdesk demo reset`",
                older=True,
            )
        await conn.run_sync(_create_missing_tables)
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


def _create_missing_tables(sync: Connection) -> None:
    """`metadata.create_all`, asking the store for its tables once rather than once per
    table (a store that has them all, as at every start after the first, makes none)."""
    present = set(inspect(sync).get_table_names())
    missing = [table for table in metadata.sorted_tables if table.name not in present]
    if missing:
        metadata.create_all(sync, tables=missing, checkfirst=False)


def _stored_version(sync: Connection) -> int | None:
    """The schema version a store records, or None for a new (empty) store."""
    if not inspect(sync).has_table("meta"):
        return None
    found = sync.execute(select(meta.c.value).where(meta.c.key == "schema_version"))
    value = found.scalar_one_or_none()
    return None if value is None else int(value)


async def drop_schema(engine: AsyncEngine) -> None:
    """Remove every table (demo reset and tests)."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
