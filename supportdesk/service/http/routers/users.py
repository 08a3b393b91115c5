"""Customers' users: search, profile, sign-in history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from supportdesk.api.models import SignInEvent, UserProfile, UserSummary
from supportdesk.service.http.deps import Ctx, CurrentAgent
from supportdesk.service.ops import users

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.get("", response_model=list[UserSummary])
async def search_users(
    _agent: CurrentAgent,
    ctx: Ctx,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[UserSummary]:
    """By name, e-mail or company; or by the last digits of a phone on file."""
    return await users.search(ctx, q, limit)


@router.get("/{user_id}", response_model=UserProfile)
async def get_user(user_id: str, _agent: CurrentAgent, ctx: Ctx) -> UserProfile:
    return await users.profile(ctx, user_id)


@router.get("/{user_id}/signins", response_model=list[SignInEvent])
async def user_signins(
    user_id: str,
    _agent: CurrentAgent,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[SignInEvent]:
    """Newest first."""
    return await users.sign_ins(ctx, user_id, limit)
