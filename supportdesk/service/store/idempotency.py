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


async def claim(
    conn: AsyncConnection, agent: str, key: str, fingerprint: str, now: datetime
) -> None:
    """Insert the key's row (raises IntegrityError when a concurrent duplicate has it)."""
    await conn.execute(
        idempotency_keys.insert().values(
            agent=agent,
            key=key,
            request_hash=fingerprint,
            status_code=0,
            body="",
            created_at=now,
        )
    )


async def save(conn: AsyncConnection, agent: str, key: str, status: int, body: str) -> None:
    await conn.execute(
        idempotency_keys.update()
        .where(idempotency_keys.c.agent == agent)
        .where(idempotency_keys.c.key == key)
        .values(status_code=status, body=body)
    )
