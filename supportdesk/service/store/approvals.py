"""Four-eyes requests: filed by an agent, decided by a lead."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.audit_chain import canonical_json
from supportdesk.service.store.schema import approvals


def params_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The request's stored parameters (requester's role, factor, verification ids...)."""
    params: dict[str, Any] = json.loads(row["params"])
    return params


def dump_params(params: Mapping[str, Any]) -> str:
    return canonical_json(dict(params))


def dump_checks(names: Iterable[str]) -> str:
    """The approvals table's `verification`: a canonical JSON list of check names."""
    return canonical_json(sorted(names))


def status_of(row: Mapping[str, Any], now: datetime) -> str:
    """Pending past its expiry reads as expired, whether or not anyone has touched it."""
    if row["status"] == "pending" and row["expires_at"] <= now:
        return "expired"
    return str(row["status"])


async def insert(conn: AsyncConnection, values: Mapping[str, Any]) -> int:
    inserted = await conn.execute(approvals.insert().values(dict(values)))
    key = inserted.inserted_primary_key
    assert key is not None
    return int(key[0])


async def by_id(
    conn: AsyncConnection, approval_id: int, *, lock: bool = False
) -> RowMapping | None:
    stmt = select(approvals).where(approvals.c.id == approval_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    return row._mapping if row is not None else None


async def pending_for(
    conn: AsyncConnection, action: str, user_id: str, now: datetime
) -> int | None:
    """The id of a live request for this action and user, if one waits."""
    found = (
        await conn.execute(
            select(approvals.c.id)
            .where(approvals.c.target_user_id == user_id)
            .where(approvals.c.action == action)
            .where(approvals.c.status == "pending")
            .where(approvals.c.expires_at > now)
        )
    ).first()
    return int(found.id) if found is not None else None


async def listed(
    conn: AsyncConnection,
    *,
    status: str,
    requested_by: str | None,
    user_id: str | None,
    limit: int,
    now: datetime,
) -> list[RowMapping]:
    """Pending: oldest first (closest to lapsing); decided or all: newest first."""
    stmt = select(approvals).limit(limit)
    live = (approvals.c.status == "pending") & (approvals.c.expires_at > now)
    if status == "pending":
        stmt = stmt.where(live).order_by(approvals.c.created_at, approvals.c.id)
    else:
        if status == "decided":
            stmt = stmt.where(~live)
        stmt = stmt.order_by(approvals.c.created_at.desc(), approvals.c.id.desc())
    if requested_by is not None:
        stmt = stmt.where(approvals.c.requested_by == requested_by)
    if user_id:
        stmt = stmt.where(approvals.c.target_user_id == user_id)
    return [r._mapping for r in await conn.execute(stmt)]


async def live_counts(conn: AsyncConnection, username: str, now: datetime) -> tuple[int, int]:
    """(live requests in all, live requests filed by this person)."""
    live = (approvals.c.status == "pending") & (approvals.c.expires_at > now)
    mine = func.lower(approvals.c.requested_by) == username.lower()
    count = select(func.count()).select_from(approvals).where(live)
    everyone = (await conn.execute(count)).scalar_one()
    yours = (await conn.execute(count.where(mine))).scalar_one()
    return int(everyone), int(yours)


async def set_status(conn: AsyncConnection, approval_id: int, status: str) -> None:
    await conn.execute(
        approvals.update().where(approvals.c.id == approval_id).values(status=status)
    )


async def decide(
    conn: AsyncConnection, approval_id: int, *, status: str, by: str, at: datetime, note: str
) -> None:
    await conn.execute(
        approvals.update()
        .where(approvals.c.id == approval_id)
        .values(status=status, decided_by=by, decided_at=at, decision_note=note or None)
    )
