"""Reading the audit log: filters as SQL, keyset pages and batches, the head.

Never the whole table at once: pages and batches are keyset-paged on `seq` (the
primary key), so the thousandth page costs what the first does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.audit import EXPORT_COLUMNS, AuditFilter
from supportdesk.rules.audit_chain import GENESIS_HASH, HASHED_FIELDS
from supportdesk.service.store.schema import audit_head, audit_log

VISIBLE = tuple(c for c in audit_log.columns if c.name != "body")
"""The columns a lead reads; the stored canonical text is for verification."""


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def action_condition(wanted: str) -> ColumnElement[bool]:
    """Exact, a `*` glob, or (with no dot) a substring: "reset" finds every kind of reset."""
    if "*" in wanted:
        return audit_log.c.action.like(_like_escape(wanted).replace("*", "%"), escape="\\")
    if "." not in wanted:
        return audit_log.c.action.like(f"%{_like_escape(wanted)}%", escape="\\")
    return audit_log.c.action == wanted


def conditions(filters: AuditFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    exact = {
        audit_log.c.actor: filters.agent,
        audit_log.c.target_user: filters.user,
        audit_log.c.outcome: filters.outcome,
        audit_log.c.ticket_id: filters.ticket,
    }
    for column, wanted in exact.items():
        if wanted:
            found.append(column == wanted)
    if filters.action:
        found.append(action_condition(filters.action))
    if filters.since is not None:
        found.append(audit_log.c.at >= filters.since)
    if filters.until is not None:
        found.append(audit_log.c.at < filters.until)
    return found


def keyset_order(filters: AuditFilter | None, *, newest_first: bool) -> list[Any]:
    """Order by seq, led by the column of the most selective equality filter.

    That column is constant among the matches, so the order is the same; but now only
    the composite index (column, seq) gives it, and both planners walk that index and
    stop at the page's end, instead of walking the primary key and discarding rows.
    """
    lead = None
    if filters is not None:
        exact_action = (
            filters.action
            if filters.action and "." in filters.action and "*" not in filters.action
            else None
        )
        for column, wanted in (
            (audit_log.c.ticket_id, filters.ticket),
            (audit_log.c.target_user, filters.user),
            (audit_log.c.actor, filters.agent),
            (audit_log.c.action, exact_action),
        ):
            if wanted:
                lead = column
                break
    columns = [lead, audit_log.c.seq] if lead is not None else [audit_log.c.seq]
    return [c.desc() if newest_first else c.asc() for c in columns]


async def page(
    conn: AsyncConnection,
    filters: AuditFilter,
    *,
    before: int | None,
    after: int | None,
    seqs: Sequence[int] | None,
    limit: int,
) -> list[RowMapping]:
    """Newest first, at most `limit` rows: first which seqs (from the filter's index
    alone where it can), then those rows by primary key."""
    stmt = page_statement(filters, before=before, after=after, seqs=seqs, limit=limit)
    # (random_page_cost is the connection's own: see `engine.make_engine`.)
    found = [int(seq) for seq in (await conn.execute(stmt)).scalars()]
    if not found:
        return []
    rows = select(*VISIBLE).where(audit_log.c.seq.in_(found)).order_by(audit_log.c.seq.desc())
    return [r._mapping for r in await conn.execute(rows)]


async def prefer_indexes(conn: AsyncConnection) -> None:
    """Tell PostgreSQL, for this read only, that a random page costs about what a
    sequential one does (the store is on SSD, not the spinning disk the default 4.0
    prices). Otherwise, until autovacuum has marked the newest pages all-visible, it
    prices the (column, seq) index's heap visits above walking the primary key and
    discarding every other agent's rows."""
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")


def page_statement(
    filters: AuditFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    seqs: Sequence[int] | None = None,
    limit: int = 100,
) -> Select[Any]:
    """Which seqs make the page (its plan is tested: a filtered page walks an index).

    Only seq is asked for, so an equality filter is answered from its (column, seq)
    index alone, and neither planner is tempted to walk the primary key instead.
    """
    stmt = select(audit_log.c.seq).where(*conditions(filters))
    if before is not None:
        stmt = stmt.where(audit_log.c.seq < before)
    if after is not None:
        stmt = stmt.where(audit_log.c.seq > after)
    if seqs is not None:
        stmt = stmt.where(audit_log.c.seq.in_(list(seqs)))
    return stmt.order_by(*keyset_order(filters, newest_first=True)).limit(limit)


async def batch_after(
    conn: AsyncConnection, filters: AuditFilter | None, after: int, limit: int
) -> list[dict[str, Any]]:
    """Matching rows oldest first, after entry `after` (all rows when `filters` is None)."""
    where = conditions(filters) if filters is not None else []
    stmt = (
        select(*VISIBLE)
        .where(*where, audit_log.c.seq > after)
        .order_by(*keyset_order(filters, newest_first=False))
        .limit(limit)
    )
    return [dict(r) for r in (await conn.execute(stmt)).mappings()]


async def entry(conn: AsyncConnection, seq: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(*VISIBLE).where(audit_log.c.seq == seq))).mappings().first()
    return dict(row) if row is not None else None


async def head(conn: AsyncConnection) -> tuple[int, str]:
    """The newest entry's seq and hash, as the head row records them."""
    row = (
        await conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1))
    ).first()
    return (int(row.seq), str(row.hash)) if row is not None else (0, GENESIS_HASH)


async def first_since(conn: AsyncConnection, since: datetime) -> int | None:
    """The seq of the first entry at or after `since`."""
    found = (
        await conn.execute(
            select(audit_log.c.seq)
            .where(audit_log.c.at >= since)
            .order_by(audit_log.c.at, audit_log.c.seq)
            .limit(1)
        )
    ).scalar_one_or_none()
    return int(found) if found is not None else None


async def resets_between(conn: AsyncConnection, since: datetime, until: datetime) -> list[Any]:
    """Resets that happened in [since, until): not refusals, nor requests a lead approved
    later (those are written again, as a success, when carried out)."""
    stmt = (
        select(
            audit_log.c.seq,
            audit_log.c.at,
            audit_log.c.actor,
            audit_log.c.target_user,
            audit_log.c.action,
        )
        .where(
            audit_log.c.action.like("%reset%"),
            audit_log.c.outcome == "success",
            audit_log.c.at >= since,
            audit_log.c.at < until,
        )
        .order_by(audit_log.c.seq)
    )
    return list(await conn.execute(stmt))


async def day_counts(
    conn: AsyncConnection, filters: AuditFilter, bounds: Sequence[datetime]
) -> list[Any]:
    """(bucket, actor, total, resets) per day bucket and actor; `bounds` are the midnights
    between the days, so bucket i is the i-th day."""
    bucket = (
        case(*[(audit_log.c.at < bound, i) for i, bound in enumerate(bounds)], else_=len(bounds))
        if bounds
        else literal(0)
    )
    # Resets done, not requested or refused: the row a lead's eye should go to.
    reset = case((and_(action_condition("reset"), audit_log.c.outcome == "success"), 1), else_=0)
    inner = (
        select(
            bucket.label("bucket"),
            audit_log.c.actor.label("actor"),
            reset.label("is_reset"),
        )
        .where(*conditions(filters))
        .subquery()
    )
    stmt = select(
        inner.c.bucket,
        inner.c.actor,
        func.count().label("total"),
        func.sum(inner.c.is_reset).label("resets"),
    ).group_by(inner.c.bucket, inner.c.actor)
    return list((await conn.execute(stmt)).all())


# -- verification: the stored text, held to the columns in SQL -----------------------------


_AT_SQLITE = (
    "replace(substr(at, 1, 19), ' ', 'T') || CASE WHEN substr(at, 21) IN ('', '000000') "
    "THEN '' ELSE '.' || substr(at, 21) END || '+00:00'"
)
"""`at` as the hashed ISO text, from the text SQLite keeps ('YYYY-MM-DD HH:MM:SS.ffffff')."""

_UTC = "(at AT TIME ZONE 'UTC')"
_AT_POSTGRESQL = (
    f"to_char({_UTC}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN to_char({_UTC}, 'US') = "
    f"'000000' THEN '' ELSE '.' || to_char({_UTC}, 'US') END || '+00:00'"
)


def _at_text(dialect: str) -> str:
    return _AT_POSTGRESQL if dialect == "postgresql" else _AT_SQLITE


def _spelled_sqlite(with_hash: bool = False) -> str:
    """The canonical text the row's columns spell, built by SQLite (json_object writes
    the compact form, escaping exactly as the canonical encoder does)."""
    parts = [f"'{name}', {_AT_SQLITE if name == 'at' else name}" for name in sorted(HASHED_FIELDS)]
    if with_hash:
        parts.append("'hash', hash")
    return f"json_object({', '.join(parts)})"


def _spelled_postgresql(with_hash: bool = False) -> str:
    """The same text built by PostgreSQL (to_json escapes strings as the encoder does)."""
    names = [*sorted(HASHED_FIELDS), *(["hash"] if with_hash else [])]
    parts = []
    for i, name in enumerate(names):
        if name == "at":
            value = f"'\"' || {_AT_POSTGRESQL} || '\"'"
        elif name == "seq":
            value = "seq::text"
        else:
            value = f"coalesce(to_json({name})::text, 'null')"
        parts.append(f"'{'{' if i == 0 else ','}\"{name}\":' || {value}")
    return " || ".join(parts) + " || '}'"


def _spelled(dialect: str, with_hash: bool = False) -> str:
    if dialect == "postgresql":
        return _spelled_postgresql(with_hash)
    return _spelled_sqlite(with_hash)


def _verify_sql(dialect: str) -> str:
    spelled = _spelled(dialect)
    mark = "$1" if dialect == "postgresql" else "?"
    limit = "$2" if dialect == "postgresql" else "?"
    raw = "convert_to(body, 'UTF8')" if dialect == "postgresql" else "CAST(body AS BLOB)"
    return (
        f"SELECT seq, {raw}, hash, prev_hash, body = {spelled} AS same FROM audit_log "
        f"WHERE seq > {mark} ORDER BY seq LIMIT {limit}"
    )


_VERIFY_SQL = {name: _verify_sql(name) for name in ("sqlite", "postgresql")}


async def chain_rows(conn: AsyncConnection, after: int, limit: int) -> list[tuple[Any, ...]]:
    """(seq, body as bytes, hash, prev_hash, columns spell body) oldest first after `after`.

    Read through the driver itself: no row objects, no type conversion, no JSON in
    Python; whether the columns still match the stored text is decided by the database.
    """
    dialect = conn.dialect.name
    raw = (await conn.get_raw_connection()).driver_connection
    if dialect == "postgresql":
        return [tuple(r) for r in await raw.fetch(_VERIFY_SQL[dialect], after, limit)]  # type: ignore[union-attr]
    cursor = await raw.execute(_VERIFY_SQL["sqlite"], (after, limit))  # type: ignore[union-attr]
    try:
        return list(await cursor.fetchall())
    finally:
        await cursor.close()


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


# -- export: rows as the file spells them, straight from the driver ---------------------------


def export_columns(dialect: str, fmt: str) -> list[ColumnElement[Any]]:
    """What an export reads per row: the whole record, spelled by the database from the
    row's columns (JSON Lines: the canonical text plus the hash; CSV: the columns in
    file order, the time as hashed ISO text, quoted as the csv module quotes)."""
    if fmt == "jsonl":
        return [literal_column(_spelled(dialect, with_hash=True))]
    return [literal_column(_csv_record(dialect))]


def _csv_field(dialect: str, name: str) -> str:
    """One CSV field as the csv module writes it (QUOTE_MINIMAL): quoted, with quotes
    doubled, when it holds a comma, a quote or a line break; NULL as nothing."""
    if name == "seq":
        return "CAST(seq AS TEXT)"
    if name == "at":
        return f"({_at_text(dialect)})"
    cr, lf = ("chr(13)", "chr(10)") if dialect == "postgresql" else ("char(13)", "char(10)")
    found = " OR ".join(
        f"strpos({name}, {c}) > 0" if dialect == "postgresql" else f"instr({name}, {c}) > 0"
        for c in ("','", "'\"'", cr, lf)
    )
    return (
        f"CASE WHEN {name} IS NULL THEN '' WHEN {found} "
        f"THEN '\"' || replace({name}, '\"', '\"\"') || '\"' ELSE {name} END"
    )


def _csv_record(dialect: str) -> str:
    """A whole CSV record (without its line end), spelled by the database."""
    return " || ',' || ".join(_csv_field(dialect, name) for name in EXPORT_COLUMNS)


def export_statement(
    dialect: str, filters: AuditFilter, fmt: str, after: int, limit: int
) -> Select[Any]:
    """One export batch: matching rows oldest first after entry `after`."""
    stmt = (
        select(*export_columns(dialect, fmt))
        .where(*conditions(filters), audit_log.c.seq > after)
        .order_by(*keyset_order(filters, newest_first=False))
        .limit(limit)
    )
    return stmt.add_columns(audit_log.c.seq)  # the keyset cursor


async def export_rows(
    conn: AsyncConnection, filters: AuditFilter, fmt: str, after: int, limit: int
) -> list[Any]:
    """Matching rows oldest first after entry `after`, as plain rows (no model, no
    type conversion per row)."""
    stmt = export_statement(conn.dialect.name, filters, fmt, after, limit)
    return list((await conn.execute(stmt)).all())
