"""Branch 4: explain which adaptive-MFA risk signal fired on a user's sign-ins."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from supportdesk.api.risk import RiskReport, RiskSignalOut, SignInRisk
from supportdesk.rules.risk import SignIn, SignInExplanation, explain_signins
from supportdesk.service.db.schema import signin_events
from supportdesk.service.deps import Ctx, CurrentAgent
from supportdesk.service.views import user_row

router = APIRouter(prefix="/v1/users", tags=["why prompted"])

HISTORY_DAYS = 120
"""Enough history for the 90-day trusted window of the newest sign-ins."""


def _risk_view(item: SignInExplanation) -> SignInRisk:
    e = item.event
    return SignInRisk(
        at=e.at,
        device_name=e.device_name,
        place=e.place,
        ip=e.ip,
        ip_reputation=e.ip_reputation,
        mfa_prompted=e.mfa_prompted,
        mfa_passed=e.mfa_passed,
        signals=[RiskSignalOut(signal=str(s.signal), message=s.message) for s in item.signals],
        prompt_expected=item.prompt_expected,
        prompt_matches=item.prompt_matches,
        cause=str(item.cause),
        explanation=item.explanation,
    )


@router.get("/{user_id}/risk", response_model=RiskReport)
async def why_prompted(
    user_id: str,
    _agent: CurrentAgent,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
) -> RiskReport:
    """Each recent sign-in with the signals that fired, judged from the history before it."""
    since = ctx.clock.now() - timedelta(days=HISTORY_DAYS)
    async with ctx.engine.connect() as conn:
        await user_row(conn, user_id)
        rows = (
            await conn.execute(
                select(signin_events)
                .where(signin_events.c.user_id == user_id)
                .where(signin_events.c.at >= since)
                .order_by(signin_events.c.at, signin_events.c.id)
            )
        ).mappings()
        events = [
            SignIn(
                at=r["at"],
                device_id=r["device_id"],
                device_name=r["device_name"],
                ip=r["ip"],
                city=r["city"],
                country=r["country"],
                lat=r["lat"],
                lon=r["lon"],
                ip_reputation=r["ip_reputation"],
                mfa_prompted=r["mfa_prompted"],
                mfa_passed=r["mfa_passed"],
            )
            for r in rows
        ]
    explained = [_risk_view(item) for item in explain_signins(events)]
    explained.reverse()
    latest = next((s for s in explained if s.mfa_prompted), None)
    return RiskReport(user_id=user_id, signins=explained[:limit], latest_prompt=latest)
