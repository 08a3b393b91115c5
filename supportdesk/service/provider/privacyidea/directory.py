"""Our ids for privacyIDEA's users, kept in our store so the desk's tables can name them.

A desk user id is `pi-` and 12 hex digits of a hash of realm and username: short enough
for our id columns, the same every time for the same user, and free of anything that
needs escaping. `provider_users` says which user an id stands for; a stand-in `users`
row (no password, a placeholder address when the directory has none) keeps tickets,
approvals and challenges pointing at a real row, and records the desk's last MFA reset
(privacyIDEA does not keep one), so a recent reset still makes the account sensitive.
A user gets their id the first time a search finds them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from supportdesk.service.provider.interface import UnknownUser, UserRecord
from supportdesk.service.store.schema import provider_users, users

PROVIDER = "privacyidea"
NO_PASSWORD = "!"
"""Not a hash any password matches: these users never sign in to the desk."""


@dataclass(frozen=True)
class Known:
    """A directory user we have an id for."""

    user_id: str
    realm: str
    username: str
    last_mfa_reset_at: datetime | None


def desk_id(username: str, realm: str) -> str:
    digest = hashlib.sha256(f"{realm}\0{username}".encode()).hexdigest()
    return f"pi-{digest[:12]}"


async def known(conn: AsyncConnection, ids: Collection[str]) -> dict[str, Known]:
    wanted = sorted({i for i in ids if i.startswith("pi-")})
    if not wanted:
        return {}
    rows = await conn.execute(
        select(
            provider_users.c.user_id,
            provider_users.c.realm,
            provider_users.c.username,
            users.c.last_mfa_reset_at,
        )
        .join(users, users.c.id == provider_users.c.user_id)
        .where(provider_users.c.user_id.in_(wanted))
        .where(provider_users.c.provider == PROVIDER)
    )
    return {r.user_id: Known(r.user_id, r.realm, r.username, r.last_mfa_reset_at) for r in rows}


async def one(conn: AsyncConnection, user_id: str) -> Known:
    found = (await known(conn, [user_id])).get(user_id)
    if found is None:
        raise UnknownUser(f"no user {user_id!r}")
    return found


async def remember(
    engine: AsyncEngine, found: Iterable[tuple[str, str, UserRecord]], now: datetime
) -> None:
    """Give ids to users seen for the first time ((realm, username, record) each)."""
    fresh = list(found)
    if not fresh:
        return
    async with engine.connect() as conn:
        have = set((await known(conn, [r.id for _, _, r in fresh])).keys())
    for realm, username, record in fresh:
        if record.id in have:
            continue
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    users.insert().values(
                        id=record.id,
                        name=record.name[:128],
                        # Unique in our table; the directory's own address is read live.
                        email=f"{record.id}@privacyidea.invalid",
                        company=record.company[:128],
                        region="",
                        timezone=record.timezone,
                        kind=record.kind,
                        is_admin=record.is_admin,
                        is_staff=record.is_staff,
                        mfa_status=record.mfa_status,
                        password_hash=NO_PASSWORD,
                        created_at=now,
                    )
                )
                await conn.execute(
                    provider_users.insert().values(
                        user_id=record.id, provider=PROVIDER, realm=realm, username=username
                    )
                )
        except IntegrityError:
            continue  # another request gave them their id first


async def mark_reset(conn: AsyncConnection, user_id: str, now: datetime) -> None:
    """The desk reset this user's MFA now (in the operation's transaction)."""
    await conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(last_mfa_reset_at=now, mfa_status="setup_required")
    )
