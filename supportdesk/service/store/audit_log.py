"""Reading the audit log: filters as SQL, keyset pages and batches, the head.

Verification reads through `audit_verify`, exports through `audit_export`.

Never the whole table at once: pages and batches are keyset-paged on `seq` (the
primary key), so the thousandth page costs what the first does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
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


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


EXACT = (
    ("agent", audit_log.c.actor),
    ("user", audit_log.c.target_user),
    ("outcome", audit_log.c.outcome),
    ("ticket", audit_log.c.ticket_id),
)
"""The filters matched exactly, by their name in `AuditFilter` and their column."""


def filter_values(filters: AuditFilter) -> dict[str, Any]:
    """Each filter a lead set, by the name of its bound parameter in `bound_conditions`.

    The action is "action" when exact, or "action_like" holding its LIKE pattern: a
    `*` glob, or (with no dot) a substring, so "reset" finds every kind of reset.
    """
    values: dict[str, Any] = {name: getattr(filters, name) for name, _ in EXACT}
    values = {name: wanted for name, wanted in values.items() if wanted}
    wanted = filters.action
    if wanted and "*" in wanted:
        values["action_like"] = _like_escape(wanted).replace("*", "%")
    elif wanted and "." not in wanted:
        values["action_like"] = f"%{_like_escape(wanted)}%"
    elif wanted:
        values["action"] = wanted
    if filters.since is not None:
        values["since"] = filters.since
    if filters.until is not None:
        values["until"] = filters.until
    return values


def bound_conditions(
    names: Sequence[str], values: dict[str, Any] | None = None
) -> list[ColumnElement[bool]]:
    """The conditions for the filters `names` (keys of `filter_values`): their values
    bound at each call, or, given `values`, bound now under names of their own (so that
    one statement may hold two sets)."""

    def param(name: str, column: ColumnElement[Any]) -> Any:
        if values is None:
            return bindparam(name, type_=column.type)
        return bindparam(name, values[name], type_=column.type, unique=True)

    columns = dict(EXACT)
    action, at = audit_log.c.action, audit_log.c.at
    found: list[ColumnElement[bool]] = []
    for name in names:
        if name in columns:
            found.append(columns[name] == param(name, columns[name]))
        elif name == "action":
            found.append(action == param(name, action))
        elif name == "action_like":
            found.append(action.like(param(name, action), escape="\\"))
        elif name == "since":
            found.append(at >= param(name, at))
        elif name == "until":
            found.append(at < param(name, at))
    return found


def conditions(filters: AuditFilter) -> list[ColumnElement[bool]]:
    """The filters as SQL with their values: for statements built for one call."""
    values = filter_values(filters)
    return bound_conditions(list(values), values)


def keyset_order(filters: AuditFilter | None, *, newest_first: bool) -> list[Any]:
    """Order by seq, led by the column of the most selective equality filter."""
    names = list(filter_values(filters)) if filters is not None else []
    return _keyset_order(names, newest_first)


def _keyset_order(names: Sequence[str], newest_first: bool) -> list[Any]:
    """The leading column is constant among the matches, so the order is seq's; but now
    only the composite index (column, seq) gives it, and both planners walk that index
    and stop at the page's end, instead of walking the primary key and discarding rows.
    """
    lead = next(
        (
            column
            for name, column in (
                ("ticket", audit_log.c.ticket_id),
                ("user", audit_log.c.target_user),
                ("agent", audit_log.c.actor),
                ("action", audit_log.c.action),
            )
            if name in names
        ),
        None,
    )
    columns = [lead, audit_log.c.seq] if lead is not None else [audit_log.c.seq]
    return [c.desc() if newest_first else c.asc() for c in columns]


PageShape = tuple[tuple[str, ...], bool, bool, bool]
"""The filters set (`filter_values`' names), and whether before, after and seqs are."""


@dataclass(frozen=True)
class PageQuery:
    """A page as SQL: `rows` reads the entries `choice` picks, and `values` binds both."""

    choice: Select[Any]
    rows: Select[Any]
    values: dict[str, Any]


@functools.lru_cache(maxsize=512)
def _page_of(shape: PageShape) -> tuple[Select[Any], Select[Any]]:
    """A page's statements for one shape, built once: their values are bound at each
    call (a lead's every page reads them, and building them cost more than running)."""
    names, before, after, seqs = shape
    choice = select(audit_log.c.seq).where(*bound_conditions(names))
    if before:
        choice = choice.where(audit_log.c.seq < bindparam("before"))
    if after:
        choice = choice.where(audit_log.c.seq > bindparam("after"))
    if seqs:
        choice = choice.where(audit_log.c.seq.in_(bindparam("seqs", expanding=True)))
    choice = choice.order_by(*_keyset_order(names, newest_first=True)).limit(
        bindparam("limit", type_=Integer(), literal_execute=True)
    )
    picked = choice.subquery("picked")
    rows = (
        select(*VISIBLE)
        .join_from(audit_log, picked, picked.c.seq == audit_log.c.seq)
        .order_by(audit_log.c.seq.desc())
    )
    return choice, rows


def page_query(
    filters: AuditFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    seqs: Sequence[int] | None = None,
    limit: int = 100,
) -> PageQuery:
    """A page, newest first (its plans are tested: a filtered page walks an index).

    The choice asks for seq alone, so an equality filter is answered from its (column,
    seq) index, and neither planner is tempted to walk the primary key instead; the rows
    are then read by primary key, in the same statement.
    """
    values = filter_values(filters)
    shape = (tuple(values), before is not None, after is not None, seqs is not None)
    extra = {"before": before, "after": after, "seqs": None if seqs is None else list(seqs)}
    values.update({name: value for name, value in extra.items() if value is not None})
    values["limit"] = limit
    choice, rows = _page_of(shape)
    return PageQuery(choice, rows, values)


async def page(
    conn: AsyncConnection,
    filters: AuditFilter,
    *,
    before: int | None,
    after: int | None,
    seqs: Sequence[int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first, at most `limit` rows, in one statement."""
    query = page_query(filters, before=before, after=after, seqs=seqs, limit=limit)
    # (random_page_cost is the connection's own: see `engine.make_engine`.)
    result = await conn.execute(query.rows, query.values)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


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
    (any_reset,) = conditions(AuditFilter(action="reset"))
    reset = case((and_(any_reset, audit_log.c.outcome == "success"), 1), else_=0)
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
