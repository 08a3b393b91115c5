"""SQLite through aiosqlite with one hand-off to its thread per statement.

SQLAlchemy's aiosqlite adapter awaits the driver's thread four times a statement (a
cursor, the execute, the fetch, the close) and once more for the rollback that ends
every pooled checkout, even a read that began no transaction. Each hand-off costs the
event loop a wake-up of the other thread, about 0.1 ms here, which was a third of a short
read's time (docs/performance.md, "API reads through `supportdesk serve`"). This adapter
runs a statement's whole cursor life in one call on that thread, and ends a checkout
without a hand-off when SQLite holds no transaction open. Everything else (server-side
cursors, errors, isolation) is SQLAlchemy's own.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy import Engine, event
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

STOP_WAIT_S = 1.0
"""How long a failed connect waits for aiosqlite's thread to end (it has nothing left to do)."""

_Ran = tuple[Any, list[Any], int, int | None]
"""What one statement leaves: description, rows, rowcount, lastrowid."""


def _run(raw: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Ran:
    """A statement's whole cursor life, on the driver's thread."""
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one call on the driver's thread."""

    __slots__ = ("_description", "_lastrowid", "_on_loop", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No driver cursor is made here: `_run` makes and closes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._on_loop = False  # set per statement by `run_on_loop`

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _run_async(self, operation: Any, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            ran: _Ran
            if self._on_loop and not connection._conn.in_transaction:
                # The driver's thread is idle (the mutex): the connection is ours alone.
                ran = _run(connection._conn, operation, parameters, many)
            else:
                ran = await connection._execute(  # type: ignore[no-untyped-call]
                    _run, connection._conn, operation, parameters, many
                )
        self._description, rows, self._rowcount, self._lastrowid = ran
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run_async(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        await self._run_async(operation, seq_of_parameters, many=True)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver's cursor closed with its statement."""

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """Statements through `OneHopCursor`; no hand-off to end what never began."""

    __slots__ = ()
    _cursor_cls = OneHopCursor  # type: ignore[assignment]  # (a subclass of it)

    def _idle(self) -> bool:
        # Read on this thread while no statement of this connection is running (the pool
        # ends a checkout only after its last one): SQLite's own autocommit flag.
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        try:
            return not connection._conn.in_transaction
        except ValueError:  # closed: let SQLAlchemy's own path report it
            return False

    def rollback(self) -> None:
        if not self._idle():
            super().rollback()

    def commit(self) -> None:
        if not self._idle():
            super().commit()


ON_LOOP_OPTION = "supportdesk_on_loop"
"""An execution option: this connection's statements are short keyed reads, run on the
event loop's thread (see `engine.reading`)."""


def run_on_loop(sync_engine: Engine) -> None:
    """Mark each statement of a connection with `ON_LOOP_OPTION` to run on the loop."""

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _mark(
        conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: bool
    ) -> None:
        if isinstance(cursor, OneHopCursor):
            cursor._on_loop = bool(conn.get_execution_options().get(ON_LOOP_OPTION))


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy adapts it, with `OneHopConnection` connections."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter sets it
        try:
            opened = await_(connection)
        except BaseException:
            # aiosqlite queues its thread's stop and returns without waiting. Unwaited, the
            # thread can outlive the request and fail to report to an event loop that has
            # closed, printing a traceback as the service or a short-lived command exits.
            connection._thread.join(timeout=STOP_WAIT_S)
            raise
        return OneHopConnection(self, opened)  # type: ignore[arg-type]  # (as SQLAlchemy passes it)


def one_hop_dbapi() -> OneHopDBAPI:
    """The module to hand `create_async_engine(module=...)` for a SQLite URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)
