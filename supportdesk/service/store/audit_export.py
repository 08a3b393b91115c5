"""Exporting the audit log: whole batches of records spelled by the database.

Each record is spelled in SQL from the row's columns (JSON Lines: the canonical text
plus the hash; CSV: the fields quoted as the `csv` module quotes them), and a whole
batch of them comes back joined into one string: Python only writes it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, String, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.audit import AuditFilter
from supportdesk.service.store.audit_log import conditions, keyset_order
from supportdesk.service.store.audit_spelling import csv_record, spelled
from supportdesk.service.store.schema import audit_log

LINE_ENDS = {"jsonl": "\n", "csv": "\r\n"}
"""What ends a record: JSON Lines a line feed, CSV (RFC 4180) a CR LF."""


def export_columns(dialect: str, fmt: str, stored: bool = False) -> list[ColumnElement[Any]]:
    """What an export reads per row: the whole record, spelled by the database.

    A JSON Lines record is the canonical text with the hash added last; where the row's
    columns spell its stored text (`columns_match`, trusted when `stored`), that text is
    the record but for the hash, so only the hash is spelled. A CSV record writes the
    row's names, codes and hex as they are where `csv_plain` (trusted likewise) says
    none needs quoting.
    """
    if fmt == "jsonl":
        from_columns = spelled(dialect, with_hash=True)
        if not stored:
            return [literal_column(from_columns).label("record")]
        if dialect == "postgresql":
            from_body = """left(body, -1) || ',"hash":' || to_json(hash)::text || '}'"""
        else:
            from_body = (
                """substr(body, 1, length(body) - 1) || ',"hash":' || json_quote(hash) || '}'"""
            )
        record = f"CASE WHEN columns_match THEN {from_body} ELSE {from_columns} END"
        return [literal_column(record).label("record")]
    return [literal_column(csv_record(dialect, stored)).label("record")]


def export_statement(
    dialect: str,
    filters: AuditFilter,
    fmt: str,
    after: int,
    limit: int,
    through: int | None = None,
    stored: bool = False,
) -> Select[Any]:
    """One export batch, a record per row: matching rows oldest first after `after`
    (and up to `through`, when given); its plan is tested: one agent's export walks
    that agent's index."""
    stmt = (
        select(*export_columns(dialect, fmt, stored))
        .where(*conditions(filters), audit_log.c.seq > after)
        .order_by(*keyset_order(filters, newest_first=False))
        .limit(limit)
    )
    if through is not None:
        stmt = stmt.where(audit_log.c.seq <= through)
    return stmt.add_columns(audit_log.c.seq)  # the keyset cursor


def export_batch_statement(
    dialect: str,
    filters: AuditFilter,
    fmt: str,
    after: int,
    limit: int,
    through: int | None = None,
    stored: bool = False,
) -> Select[str, int, Any]:
    """The same batch as one row: (its records, each ended, joined; count; last seq)."""
    batch = export_statement(dialect, filters, fmt, after, limit, through, stored).subquery("batch")
    if dialect == "postgresql":
        ends = " || ".join({"\r": "chr(13)", "\n": "chr(10)"}[c] for c in LINE_ENDS[fmt])
        text = f"string_agg(record || {ends}, '' ORDER BY seq)"
    else:
        # SQLite (before 3.44) has no ORDER BY inside group_concat: it joins in the
        # ordered subquery's order (the store tests hold an export to the log's order).
        ends = " || ".join({"\r": "char(13)", "\n": "char(10)"}[c] for c in LINE_ENDS[fmt])
        text = f"group_concat(record, {ends}) || {ends}"
    return select(literal_column(text, String), func.count(), func.max(batch.c.seq)).select_from(
        batch
    )


async def export_text(
    conn: AsyncConnection,
    filters: AuditFilter,
    fmt: str,
    after: int,
    limit: int,
    through: int | None = None,
    stored: bool = False,
) -> tuple[str, int, int]:
    """The next batch's text (each record ended), how many records, and the last seq
    (`after` itself when there are none). `stored`: `columns_match` and `csv_plain` can be trusted
    (see `audit_verify.trusted`)."""
    stmt = export_batch_statement(conn.dialect.name, filters, fmt, after, limit, through, stored)
    text, count, last = (await conn.execute(stmt)).one()
    if not count:
        return "", 0, after
    return str(text), int(count), int(last)


async def chunk_bounds(
    conn: AsyncConnection, filters: AuditFilter, after: int, limit: int
) -> tuple[int, int]:
    """How many of the next `limit` matching entries after `after` there are, and the
    last one's seq (`after` when none): a chunk's size, known before it is sent. Only
    seq is read, from the filter's (column, seq) index where there is one."""
    batch = (
        select(audit_log.c.seq)
        .where(*conditions(filters), audit_log.c.seq > after)
        .order_by(*keyset_order(filters, newest_first=False))
        .limit(limit)
        .subquery("chunk")
    )
    count, last = (await conn.execute(select(func.count(), func.max(batch.c.seq)))).one()
    return int(count), int(last) if last is not None else after
