"""Branch 4: explain which adaptive-MFA risk signal fired on a user's sign-ins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from supportdesk.api.risk import RiskReport
from supportdesk.service.http.deps import Ctx, CurrentAgent
from supportdesk.service.ops import users

router = APIRouter(prefix="/v1/users", tags=["why prompted"])


@router.get("/{user_id}/risk", response_model=RiskReport)
async def why_prompted(
    user_id: str,
    _agent: CurrentAgent,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
) -> RiskReport:
    """Each recent sign-in with the signals that fired, judged from the history before it."""
    return await users.why_prompted(ctx, user_id, limit)
