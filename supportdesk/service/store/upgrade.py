"""Bringing a store made before the intake (issue 15) up to its ticket columns.

`create_all` adds missing tables but never changes an existing one: a store from before
has a ``tickets`` table whose ``user_id`` is NOT NULL and that lacks ``sender``,
``sender_name`` and ``conversation_key``. PostgreSQL changes it in place; SQLite cannot
drop a NOT NULL, so the table is rebuilt (renamed, made anew, copied, dropped) inside the
same transaction. Nothing referenced ``tickets`` by a foreign key before the intake, so the
rebuild touches no other table. Run before `create_all`, in its transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import tickets

NEW_COLUMNS = ("sender", "sender_name", "conversation_key")


async def upgrade_tickets(conn: AsyncConnection) -> bool:
    """Upgrade an old ``tickets`` table; whether anything changed."""
    columns = await conn.run_sync(_columns)
    if columns is None:
        return False  # a new store: create_all makes the table as it is now
    missing = [name for name in NEW_COLUMNS if name not in columns]
    strict = not columns["user_id"]["nullable"]
    if not missing and not strict:
        return False
    if conn.dialect.name == "postgresql":
        if strict:
            await conn.execute(text("ALTER TABLE tickets ALTER COLUMN user_id DROP NOT NULL"))
        for name in missing:
            kind = tickets.c[name].type.compile(dialect=conn.dialect)
            await conn.execute(text(f"ALTER TABLE tickets ADD COLUMN IF NOT EXISTS {name} {kind}"))
        return True
    await conn.run_sync(_rebuild_sqlite, [name for name in columns if name in tickets.c])
    return True


def _columns(sync: Connection) -> dict[str, dict[str, Any]] | None:
    found = inspect(sync)
    if not found.has_table("tickets"):
        return None
    return {str(c["name"]): dict(c) for c in found.get_columns("tickets")}


def _rebuild_sqlite(sync: Connection, kept: list[str]) -> None:
    sync.exec_driver_sql("ALTER TABLE tickets RENAME TO tickets_before_intake")
    for index in tickets.indexes:
        sync.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
    tickets.create(sync)
    names = ", ".join(kept)
    sync.exec_driver_sql(f"INSERT INTO tickets ({names}) SELECT {names} FROM tickets_before_intake")
    sync.exec_driver_sql("DROP TABLE tickets_before_intake")
