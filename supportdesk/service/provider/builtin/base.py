"""The built-in provider's rows as records, and what every part of it shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.provider.interface import (
    FactorRecord,
    ProviderEnv,
    UnknownUser,
    UserRecord,
)
from supportdesk.service.store.schema import factors, users


class BuiltinBase:
    """Holds the service it runs in: its store, settings, key, hasher and SMS gateway."""

    name = "builtin"

    def __init__(self, env: ProviderEnv) -> None:
        self.env = env


def user_record(row: Mapping[Any, Any]) -> UserRecord:
    return UserRecord(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        company=row["company"],
        region=row["region"],
        timezone=row["timezone"],
        kind=row["kind"],
        is_admin=bool(row["is_admin"]),
        is_staff=bool(row["is_staff"]),
        mfa_status=row["mfa_status"],
        enrol_required=row["enrol_required"],
        last_mfa_reset_at=row["last_mfa_reset_at"],
        created_at=row["created_at"],
    )


def factor_record(row: Mapping[Any, Any]) -> FactorRecord:
    return FactorRecord(
        id=row["id"],
        user_id=row["user_id"],
        type=row["type"],
        label=row["label"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        phone_e164=row["phone_e164"],
        key_model=row["key_model"],
        usable=row["type"] != "totp" or bool(row["totp_secret"]),
    )


# Built once, values bound at each call: a profile is read on nearly every request a
# desk makes, and building these statements again each time cost more than running them.
USER_BY_ID = select(users).where(users.c.id == bindparam("user_id"))
USERS_BY_ID = select(users).where(users.c.id.in_(bindparam("ids", expanding=True)))
ACTIVE_FACTORS = (
    select(factors)
    .where(factors.c.user_id == bindparam("user_id"))
    .where(factors.c.removed_at.is_(None))
    .order_by(factors.c.created_at, factors.c.id)
)

FACTOR_PREFIX = "factor_"
USER_WITH_FACTORS = (
    select(users, *(column.label(FACTOR_PREFIX + column.name) for column in factors.c))
    .outerjoin(factors, and_(factors.c.user_id == users.c.id, factors.c.removed_at.is_(None)))
    .where(users.c.id == bindparam("user_id"))
    .order_by(factors.c.created_at, factors.c.id)
)
"""A user and their active factors in one statement: a row per factor, or one row with
no factor for a user who has none."""


def user_with_factors(
    rows: Sequence[RowMapping],
) -> tuple[UserRecord, list[FactorRecord]] | None:
    """The records in `USER_WITH_FACTORS`'s rows (None: no rows, no such user)."""
    if not rows:
        return None
    found = [
        factor_record({column.name: row[FACTOR_PREFIX + column.name] for column in factors.c})
        for row in rows
        if row[FACTOR_PREFIX + "id"] is not None
    ]
    return user_record(rows[0]), found


async def user_row(conn: AsyncConnection, user_id: str) -> RowMapping:
    row = (await conn.execute(USER_BY_ID, {"user_id": user_id})).mappings().first()
    if row is None:
        raise UnknownUser(f"no user {user_id!r}")
    return row


async def active_factor_rows(conn: AsyncConnection, user_id: str) -> Sequence[RowMapping]:
    return (await conn.execute(ACTIVE_FACTORS, {"user_id": user_id})).mappings().all()


async def factor_row(conn: AsyncConnection, factor_id: str) -> RowMapping | None:
    """An active factor by id, with its secret (for checks that stay in here)."""
    row = (
        await conn.execute(
            select(factors).where(factors.c.id == factor_id).where(factors.c.removed_at.is_(None))
        )
    ).first()
    return row._mapping if row is not None else None


async def spend_totp_step(conn: AsyncConnection, factor_id: str, step: int, **also: Any) -> bool:
    """Mark the step used if no later or equal one is: a conditional UPDATE, so two
    answers with the same code at once cannot both be accepted (on either store)."""
    spent = await conn.execute(
        factors.update()
        .where(factors.c.id == factor_id)
        .where(or_(factors.c.last_totp_step.is_(None), factors.c.last_totp_step < step))
        .values(last_totp_step=step, **also)
    )
    return spent.rowcount == 1
