"""Agents and leads, and their sessions: the desk's own people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.store.schema import agent_sessions, agents


async def by_username(
    conn: AsyncConnection, username: str, *, lock: bool = False
) -> Row[Any] | None:
    """The agent; with `lock`, the row stays locked to this transaction (PostgreSQL
    ``FOR UPDATE``; SQLite's IMMEDIATE transaction already holds the write lock), so a
    sign-in's check-and-count cannot interleave with another's."""
    stmt = select(agents).where(agents.c.username == username)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def create(
    conn: AsyncConnection,
    *,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    totp_secret: str,
    now: datetime,
) -> None:
    await conn.execute(
        agents.insert().values(
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            totp_secret=totp_secret,
            failed_attempts=0,
            created_at=now,
        )
    )


async def record_failure(
    conn: AsyncConnection, agent_id: int, *, failures: int, locked_until: datetime | None
) -> None:
    await conn.execute(
        agents.update()
        .where(agents.c.id == agent_id)
        .values(failed_attempts=failures, locked_until=locked_until)
    )


async def record_success(conn: AsyncConnection, agent_id: int, step: int) -> None:
    """Failures forgotten, and the code's step spent so it cannot sign in again.

    An account-wide lock stays until it passes: a known desk signing in through it
    (docs/security.md) does not open the account to everyone else."""
    await conn.execute(
        agents.update()
        .where(agents.c.id == agent_id)
        .values(failed_attempts=0, last_totp_step=step)
    )


async def open_session(
    conn: AsyncConnection, agent_id: int, token_hash: str, now: datetime, expires: datetime
) -> None:
    await conn.execute(
        agent_sessions.insert().values(
            token_hash=token_hash,
            agent_id=agent_id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
        )
    )


SESSION_BY_TOKEN = (
    select(
        agent_sessions.c.id,
        agent_sessions.c.last_seen_at,
        agent_sessions.c.expires_at,
        agent_sessions.c.revoked_at,
        agents.c.id.label("agent_id"),
        agents.c.username,
        agents.c.display_name,
        agents.c.role,
    )
    .join(agents, agents.c.id == agent_sessions.c.agent_id)
    .where(agent_sessions.c.token_hash == bindparam("token_hash"))
)
"""Built once, with the digest bound at each call: every request runs this read, and
building the statement again each time cost more than running it (issue 13)."""


async def session_by_token(conn: AsyncConnection, token_hash: str) -> Any:
    """The session and its agent, for a bearer token's digest."""
    return (await conn.execute(SESSION_BY_TOKEN, {"token_hash": token_hash})).first()


async def touch_session(conn: AsyncConnection, session_id: int, now: datetime) -> None:
    await conn.execute(
        agent_sessions.update().where(agent_sessions.c.id == session_id).values(last_seen_at=now)
    )


async def end_session(conn: AsyncConnection, session_id: int, now: datetime) -> None:
    await conn.execute(
        agent_sessions.update().where(agent_sessions.c.id == session_id).values(revoked_at=now)
    )
