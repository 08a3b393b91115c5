"""End users' sign-ins between the password and the code: one row per password typed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import signin_challenges


async def open_challenge(
    conn: AsyncConnection, challenge_id: str, user_id: str, now: datetime, expires: datetime
) -> None:
    await conn.execute(
        signin_challenges.insert().values(
            id=challenge_id, user_id=user_id, created_at=now, expires_at=expires
        )
    )


async def live(conn: AsyncConnection, challenge_id: str, now: datetime) -> Row[Any] | None:
    """The challenge, if it is neither used, spent nor expired; locked to the transaction
    (PostgreSQL FOR UPDATE) so two answers cannot both read the same count of failures."""
    row = (
        await conn.execute(
            select(signin_challenges)
            .where(signin_challenges.c.id == challenge_id)
            .with_for_update()
        )
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


async def record_failure(
    conn: AsyncConnection, challenge_id: str, failures: int, spent_at: datetime | None
) -> None:
    await conn.execute(
        signin_challenges.update()
        .where(signin_challenges.c.id == challenge_id)
        .values(failed_codes=failures, used_at=spent_at)
    )


async def use(conn: AsyncConnection, challenge_id: str, now: datetime) -> None:
    await conn.execute(
        signin_challenges.update().where(signin_challenges.c.id == challenge_id).values(used_at=now)
    )
