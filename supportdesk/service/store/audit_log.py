"""Reading the audit log: filters as SQL, keyset pages and batches, the head.

Verification reads through `audit_verify`, exports through `audit_export`.

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
    bindparam,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.audit import AuditFilter
from supportdesk.rules.audit_chain import GENESIS_HASH
from supportdesk.service.store.schema import audit_head, audit_log

VISIBLE = tuple(
    c for c in audit_log.columns if c.name not in ("body", "columns_match", "csv_plain")
)
"""The columns a lead reads; the stored canonical text (and whether the columns still
spell it) is for verification."""

PAGE_ROWS = (
    select(*VISIBLE)
    .where(audit_log.c.seq.in_(bindparam("seqs", expanding=True)))
    .order_by(audit_log.c.seq.desc())
)
"""A page's rows by seq, newest first: built once (a lead's every page reads it)."""


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
    return list((await conn.execute(PAGE_ROWS, {"seqs": found})).mappings().all())


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
