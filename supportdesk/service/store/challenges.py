"""Identity challenges an agent sent while a user recovers a lost phone or key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import recovery_challenges


async def insert(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(recovery_challenges.insert().values(**values))


async def by_id(conn: AsyncConnection, challenge_id: str, *, lock: bool = False) -> Row[Any] | None:
    stmt = select(recovery_challenges).where(recovery_challenges.c.id == challenge_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def update(conn: AsyncConnection, challenge_id: str, **values: Any) -> None:
    await conn.execute(
        recovery_challenges.update()
        .where(recovery_challenges.c.id == challenge_id)
        .values(**values)
    )


async def kill(conn: AsyncConnection, challenge_id: str, now: datetime) -> None:
    await update(conn, challenge_id, dead_at=now)
