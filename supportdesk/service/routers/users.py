"""Customers' users: search, profile, sign-in history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, or_, select

from supportdesk.api.models import SignInEvent, UserProfile, UserSummary
from supportdesk.service.db.schema import factors, signin_events, users
from supportdesk.service.deps import Ctx, CurrentAgent
from supportdesk.service.views import profile_view, summary_view, user_row

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.get("", response_model=list[UserSummary])
async def search_users(
    _agent: CurrentAgent,
    ctx: Ctx,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[UserSummary]:
    """By name, e-mail or company; or by the last digits of a phone on file."""
    term = q.strip().lower()
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
    async with ctx.engine.connect() as conn:
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
    return [summary_view(r, types[r["id"]]) for r in rows]


@router.get("/{user_id}", response_model=UserProfile)
async def get_user(user_id: str, _agent: CurrentAgent, ctx: Ctx) -> UserProfile:
    async with ctx.engine.connect() as conn:
        return await profile_view(conn, user_id)


@router.get("/{user_id}/signins", response_model=list[SignInEvent])
async def user_signins(
    user_id: str,
    _agent: CurrentAgent,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[SignInEvent]:
    """Newest first."""
    async with ctx.engine.connect() as conn:
        await user_row(conn, user_id)
        result = await conn.execute(
            select(signin_events)
            .where(signin_events.c.user_id == user_id)
            .order_by(signin_events.c.at.desc())
            .limit(limit)
        )
        return [SignInEvent.model_validate(dict(r._mapping)) for r in result]
