"""Idempotency keys' rows: the first answer to each (agent, key), kept for `KEY_TTL`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import idempotency_keys


async def stored(conn: AsyncConnection, agent: str, key: str, oldest: datetime) -> Row[Any] | None:
    return (
        await conn.execute(
            select(idempotency_keys)
            .where(idempotency_keys.c.agent == agent)
            .where(idempotency_keys.c.key == key)
            .where(idempotency_keys.c.created_at > oldest)
        )
    ).first()


async def purge(conn: AsyncConnection, oldest: datetime) -> None:
    await conn.execute(idempotency_keys.delete().where(idempotency_keys.c.created_at <= oldest))


def _insert(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(idempotency_keys)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(idempotency_keys)


async def claim(
    conn: AsyncConnection, agent: str, key: str, fingerprint: str, now: datetime, oldest: datetime
) -> bool:
    """Insert the key's row, or take over its row older than `oldest`: True when this
    transaction now holds the key. False when a live row is there (committed first by
    another request with this key: a concurrent one is waited for, then this is False).
    One round trip either way."""
    stmt = _insert(conn.dialect.name).values(
        agent=agent, key=key, request_hash=fingerprint, status_code=0, body="", created_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[idempotency_keys.c.agent, idempotency_keys.c.key],
        set_={
            "request_hash": stmt.excluded.request_hash,
            "status_code": 0,
            "body": "",
            "created_at": stmt.excluded.created_at,
        },
        where=idempotency_keys.c.created_at <= oldest,
    ).returning(idempotency_keys.c.agent)
    return (await conn.execute(stmt)).first() is not None


async def save(conn: AsyncConnection, agent: str, key: str, status: int, body: str) -> None:
    await conn.execute(
        idempotency_keys.update()
        .where(idempotency_keys.c.agent == agent)
        .where(idempotency_keys.c.key == key)
        .values(status_code=status, body=body)
    )
