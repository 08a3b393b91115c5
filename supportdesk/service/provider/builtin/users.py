"""Users, factors and sign-ins over our own tables."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields
from datetime import datetime

from sqlalchemy import RowMapping, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.risk import SignIn
from supportdesk.service.provider.builtin.base import (
    USER_BY_ID,
    USER_WITH_FACTORS,
    USERS_BY_ID,
    BuiltinBase,
    active_factor_rows,
    factor_record,
    user_record,
    user_with_factors,
)
from supportdesk.service.provider.interface import FactorRecord, FoundUser, UserRecord
from supportdesk.service.store.schema import factors, signin_events, users

SIGN_IN_FIELDS = tuple(f.name for f in fields(SignIn))
"""The sign-in's fields, one definition (`rules.risk.SignIn`): the table's columns too."""


def sign_in(row: RowMapping) -> SignIn:
    return SignIn(**{name: row[name] for name in SIGN_IN_FIELDS})


class Users(BuiltinBase):
    async def find_users(self, conn: AsyncConnection, query: str, limit: int) -> list[FoundUser]:
        """By name, e-mail or company; or by the last digits of a phone on file."""
        term = query.strip().lower()
        digits = "".join(ch for ch in term if ch.isdigit())
        stmt = select(users).order_by(users.c.name).limit(limit)
        if term:
            like = f"%{term}%"
            conditions = [
                func.lower(users.c.name).like(like),
                func.lower(users.c.email).like(like),
                func.lower(users.c.company).like(like),
                func.lower(users.c.id) == term,
            ]
            if len(digits) >= 3 and digits == term.replace(" ", "").replace("-", ""):
                phone_owners = (
                    select(factors.c.user_id)
                    .where(factors.c.phone_e164.like(f"%{digits}"))
                    .where(factors.c.removed_at.is_(None))
                )
                conditions.append(users.c.id.in_(phone_owners))
            stmt = stmt.where(or_(*conditions))
        rows = [r._mapping for r in await conn.execute(stmt)]
        ids = [r["id"] for r in rows]
        types: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            result = await conn.execute(
                select(factors.c.user_id, factors.c.type)
                .where(factors.c.user_id.in_(ids))
                .where(factors.c.removed_at.is_(None))
            )
            for user_id, factor_type in result:
                types[user_id].append(factor_type)
        return [FoundUser(user_record(r), tuple(types[r["id"]])) for r in rows]

    async def users(self, conn: AsyncConnection, ids: Collection[str]) -> dict[str, UserRecord]:
        wanted = sorted(set(ids))
        if len(wanted) == 1:  # a profile's or an action's one person: no list to expand
            row = (await conn.execute(USER_BY_ID, {"user_id": wanted[0]})).mappings().first()
            return {row["id"]: user_record(row)} if row is not None else {}
        found: dict[str, UserRecord] = {}
        for start in range(0, len(wanted), 500):
            rows = await conn.execute(USERS_BY_ID, {"ids": wanted[start : start + 500]})
            found.update({r["id"]: user_record(r) for r in rows.mappings()})
        return found

    async def factors(self, conn: AsyncConnection, user_id: str) -> list[FactorRecord]:
        return [factor_record(r) for r in await active_factor_rows(conn, user_id)]

    async def user_with_factors(
        self, conn: AsyncConnection, user_id: str
    ) -> tuple[UserRecord, list[FactorRecord]] | None:
        rows = (await conn.execute(USER_WITH_FACTORS, {"user_id": user_id})).mappings().all()
        return user_with_factors(rows)

    async def factors_by_id(
        self, conn: AsyncConnection, ids: Collection[str]
    ) -> dict[str, FactorRecord]:
        if not ids:
            return {}
        rows = await conn.execute(select(factors).where(factors.c.id.in_(sorted(set(ids)))))
        return {r.id: factor_record(r._mapping) for r in rows}

    async def sign_ins(
        self,
        conn: AsyncConnection,
        user_id: str,
        *,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[SignIn]:
        stmt = (
            select(signin_events)
            .where(signin_events.c.user_id == user_id)
            .order_by(signin_events.c.at.desc(), signin_events.c.id.desc())
        )
        if since is not None:
            stmt = stmt.where(signin_events.c.at >= since)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [sign_in(r) for r in (await conn.execute(stmt)).mappings()]

    async def sign_ins_of(
        self, conn: AsyncConnection, user_ids: Collection[str], *, until: datetime
    ) -> list[tuple[str, SignIn]]:
        found: list[tuple[str, SignIn]] = []
        wanted = sorted(user_ids)
        for start in range(0, len(wanted), 500):
            stmt = select(signin_events).where(
                signin_events.c.user_id.in_(wanted[start : start + 500]),
                signin_events.c.at < until,
            )
            found.extend((r["user_id"], sign_in(r)) for r in (await conn.execute(stmt)).mappings())
        return found
