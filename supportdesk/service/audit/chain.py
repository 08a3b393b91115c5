"""The append and the chain: one entry at a time, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.audit_chain import GENESIS_HASH, body_hash, canonical_json, entry_body
from supportdesk.service.store.audit_hourly import ensure_hourly, hourly_count
from supportdesk.service.store.schema import audit_head, audit_log


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit log names them."""

    name: str
    role: str


async def ensure_audit_head(conn: AsyncConnection) -> None:
    """Start the head of an empty log. A log with entries but no head was tampered with:
    the head is not made up again (verification names it; appends fail closed)."""
    found = (await conn.execute(select(audit_head.c.id).where(audit_head.c.id == 1))).first()
    if found is None:
        entries = (await conn.execute(select(audit_log.c.seq).limit(1))).first()
        if entries is None:
            await conn.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS_HASH))
    await ensure_hourly(conn)


async def append_audit(
    conn: AsyncConnection,
    *,
    at: datetime,
    actor: Actor,
    action: str,
    outcome: str,
    target_user: str | None = None,
    ticket_id: str | None = None,
    reason: str | None = None,
    verification: Sequence[str] | None = None,
    detail: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> int:
    """Append one entry; commits or rolls back with the caller's change.

    Writers queue on the single audit_head row (row lock on PostgreSQL, the
    write lock on SQLite), so concurrent appends never fork the chain. The lock is
    held from here to the caller's commit: call this last in the transaction, after
    every other statement, so every other writer waits as little as possible.
    """
    at = at.astimezone(UTC)  # hashed exactly as the store gives it back
    head = (
        await conn.execute(
            select(audit_head.c.seq, audit_head.c.hash)
            .where(audit_head.c.id == 1)
            .with_for_update()
        )
    ).one()
    fields: dict[str, Any] = {
        "seq": int(head.seq) + 1,
        "at": at.isoformat(),
        "actor": actor.name,
        "actor_role": actor.role,
        "action": action,
        "target_user": target_user,
        "ticket_id": ticket_id,
        "reason": reason,
        "verification": canonical_json(list(verification)) if verification is not None else None,
        "outcome": outcome,
        "detail": canonical_json(dict(detail)) if detail is not None else None,
        "request_id": request_id,
        "prev_hash": head.hash,
    }
    body = entry_body(fields)
    digest = body_hash(body)
    appended = audit_log.insert().values({**fields, "at": at, "hash": digest, "body": body})
    moved = audit_head.update().where(audit_head.c.id == 1).values(seq=fields["seq"], hash=digest)
    counted = hourly_count(conn.dialect.name, at, actor.name, action, outcome)
    if conn.dialect.name == "postgresql" and counted is not None:
        # One round trip while the head is held: the entry, the head and the hourly count
        # as data-modifying CTEs of one statement (they touch three different tables).
        await conn.execute(counted.add_cte(appended.cte("appended"), moved.cte("moved")))
    else:
        await conn.execute(appended)
        await conn.execute(moved)
        if counted is not None:
            await conn.execute(counted)
    return int(fields["seq"])


def row_to_chain_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row in the exact form that was hashed (time as ISO text), without the
    stored canonical text itself."""
    fields = {k: v for k, v in row.items() if k != "body"}
    fields["at"] = row["at"].isoformat()
    return fields
