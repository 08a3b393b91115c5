"""Reading the chain for verification: the stored text, held to the columns in SQL.

A stretch is read a batch at a time, each batch as one row: its bodies, hashes and
`prev_hash`es joined into three strings, with its first and last seq, its count, and
whether every row's columns still spell its stored text. The driver then hands over
three values per batch instead of five per entry; the row-by-row read is kept for
naming a break precisely.

Whether the columns spell the text is the generated column `columns_match`, which the
database recomputes whenever a row is written and nothing can set. It is trusted only
while the table still generates it as this supportdesk made it (`trusted`): otherwise
every row is spelled again as it is read, as the row-by-row read always does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.audit_spelling import (
    MATCH_CALL,
    MATCH_FUNCTION,
    MATCH_SOURCE,
    MATCH_SQLITE,
    PLAIN_CALL,
    PLAIN_FUNCTION,
    PLAIN_SOURCE,
    PLAIN_SQLITE,
    same_expression,
    spelled,
)
from supportdesk.service.store.schema import audit_head, audit_log


def _rows_sql(dialect: str) -> str:
    mark, limit = ("$1", "$2") if dialect == "postgresql" else ("?", "?")
    raw = "convert_to(body, 'UTF8')" if dialect == "postgresql" else "CAST(body AS BLOB)"
    return (
        f"SELECT seq, {raw}, hash, prev_hash, body = {spelled(dialect)} AS same FROM audit_log "
        f"WHERE seq > {mark} ORDER BY seq LIMIT {limit}"
    )


def _batch_sql(dialect: str, stored: bool) -> str:
    """One row per batch: (count, first seq, last seq, all columns spell their text,
    bodies joined by line ends as bytes, hashes joined, prev_hashes joined).

    The aggregates join in the ordered subquery's order (no ORDER BY of their own: on
    PostgreSQL each would sort the batch again, and SQLite before 3.44 has none). Were
    the order ever another, the joined hashes would not line up with the bodies and the
    prev_hashes, and the batch would be read again row by row: slower, never wrong.
    """
    same = "columns_match" if stored else f"body = {spelled(dialect)}"
    if dialect == "postgresql":
        return (
            "SELECT count(*), min(seq), max(seq), bool_and(coalesce(same, false)), "
            "convert_to(string_agg(body, chr(10)), 'UTF8'), "
            "string_agg(hash, ''), string_agg(prev_hash, '') "
            f"FROM (SELECT seq, body, hash, prev_hash, {same} AS same "
            "FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2) AS batch"
        )
    return (
        "SELECT count(*), min(seq), max(seq), min(coalesce(same, 0)), "
        "CAST(group_concat(body, char(10)) AS BLOB), group_concat(hash, ''), "
        "group_concat(prev_hash, '') "
        f"FROM (SELECT seq, body, hash, prev_hash, {same} AS same "
        "FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?)"
    )


_ROWS_SQL = {name: _rows_sql(name) for name in ("sqlite", "postgresql")}
_BATCH_SQL = {name: _batch_sql(name, stored=True) for name in ("sqlite", "postgresql")}
_SPELLING_BATCH_SQL = {name: _batch_sql(name, stored=False) for name in ("sqlite", "postgresql")}


async def _fetch(conn: AsyncConnection, sql: dict[str, str], *args: Any) -> list[tuple[Any, ...]]:
    """Straight through the driver: no row objects, no type conversion."""
    dialect = conn.dialect.name
    raw = (await conn.get_raw_connection()).driver_connection
    if dialect == "postgresql":
        return [tuple(r) for r in await raw.fetch(sql[dialect], *args)]  # type: ignore[union-attr]
    cursor = await raw.execute(sql["sqlite"], args)  # type: ignore[union-attr]
    try:
        return list(await cursor.fetchall())
    finally:
        await cursor.close()


async def chain_rows(conn: AsyncConnection, after: int, limit: int) -> list[tuple[Any, ...]]:
    """(seq, body as bytes, hash, prev_hash, columns spell body) oldest first after `after`.

    Whether the columns still match the stored text is decided by the database.
    """
    return await _fetch(conn, _ROWS_SQL, after, limit)


async def chain_batch(
    conn: AsyncConnection, after: int, limit: int, *, stored: bool = True
) -> tuple[Any, ...] | None:
    """The next `limit` entries after `after` as one row (see `_batch_sql`); None when
    there are none. `stored`: read `columns_match` (see `trusted`) rather than spell
    each row again."""
    found = await _fetch(conn, _BATCH_SQL if stored else _SPELLING_BATCH_SQL, after, limit)
    if not found or not found[0][0]:
        return None
    return found[0]


_GENERATED = (
    ("columns_match", MATCH_FUNCTION, MATCH_CALL, MATCH_SOURCE, MATCH_SQLITE),
    ("csv_plain", PLAIN_FUNCTION, PLAIN_CALL, PLAIN_SOURCE, PLAIN_SQLITE),
)
"""Each column the database generates for the audit log: its name, its function on
PostgreSQL, that function's call and text, and its expression on SQLite."""


def _generated_postgresql(column: str, function: str) -> str:
    return (
        "SELECT a.attgenerated, pg_get_expr(d.adbin, d.adrelid), p.prosrc, p.provolatile "
        "FROM pg_attribute a "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        f"LEFT JOIN pg_proc p ON p.oid = to_regproc('{function}') "
        f"WHERE a.attrelid = to_regclass('audit_log') AND a.attname = '{column}' "
        "AND NOT a.attisdropped"
    )


async def trusted(conn: AsyncConnection) -> bool:
    """Whether the table still generates `columns_match` and `csv_plain` as this
    supportdesk made them.

    A generated column cannot be set, but a table can be redefined: on PostgreSQL its
    expression dropped (the column is then plain and could be set) or its function
    replaced; on SQLite the table made again without it. Then verify spells every row
    itself instead, and an export quotes every field as it needs. (An editor who
    rewrites SQLite's schema text in place, edits and puts it back is beyond this: see
    docs/performance.md.)
    """
    if conn.dialect.name == "postgresql":
        for column, function, call, source, _sqlite in _GENERATED:
            row = (await conn.exec_driver_sql(_generated_postgresql(column, function))).first()
            if row is None:
                return False
            generated, expression, found_source, volatility = tuple(row)
            if not (
                _char(generated) == "s"  # stored generated
                and same_expression(expression, call)
                and found_source == source
                and _char(volatility) == "i"  # immutable
            ):
                return False
        return True
    columns = [tuple(c) for c in await conn.exec_driver_sql("PRAGMA table_xinfo(audit_log)")]
    stored = {c[1] for c in columns if c[6] == 3}  # hidden 3: a STORED generated column
    ddl = (
        await conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'"
        )
    ).scalar_one_or_none()
    if ddl is None:
        return False
    return all(
        column in stored
        and _plain(f"{column} BOOLEAN GENERATED ALWAYS AS ({expression}) STORED")
        in _plain(str(ddl))
        for column, _function, _call, _source, expression in _GENERATED
    )


def _char(value: object) -> str:
    """PostgreSQL's one-byte "char" (the driver hands it over as bytes)."""
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _plain(text: str) -> str:
    return "".join(text.split())


async def head_row(conn: AsyncConnection) -> tuple[int, str] | None:
    """The head row's (seq, hash), or None when the row itself is gone."""
    row = (
        await conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1))
    ).first()
    return (int(row.seq), str(row.hash)) if row is not None else None


async def newest_seq(conn: AsyncConnection) -> int | None:
    """The newest entry there is (whatever the head row says), None when the log is empty."""
    found = (await conn.execute(select(func.max(audit_log.c.seq)))).scalar_one_or_none()
    return int(found) if found is not None else None


async def hash_of(conn: AsyncConnection, seq: int) -> str | None:
    found = (
        await conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == seq))
    ).scalar_one_or_none()
    return str(found) if found is not None else None
