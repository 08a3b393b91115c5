"""Customers' users: search, profile, sign-in history, and why a sign-in was prompted."""

from __future__ import annotations

from datetime import timedelta

from supportdesk.api.models import SignInEvent, UserProfile, UserSummary
from supportdesk.api.risk import RiskReport, RiskSignalOut, SignInRisk
from supportdesk.rules.risk import SignInExplanation, explain_signins
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.common import user_of
from supportdesk.service.ops.views import profile_view, signin_view, summary_view
from supportdesk.service.provider import Capability, require
from supportdesk.service.store.engine import reading

HISTORY_DAYS = 120
"""Enough history for the 90-day trusted window of the newest sign-ins."""


async def search(ctx: ServiceContext, query: str, limit: int) -> list[UserSummary]:
    """By name, e-mail or company; or by the last digits of a phone on file."""
    require(ctx.provider, Capability.FIND_USERS)
    async with reading(ctx.engine) as conn:
        found = await ctx.provider.find_users(conn, query, limit)
    return [summary_view(hit.user, hit.factor_types) for hit in found]


async def profile(ctx: ServiceContext, user_id: str) -> UserProfile:
    async with reading(ctx.engine, keyed=True) as conn:
        return await profile_view(ctx, conn, user_id)


async def sign_ins(ctx: ServiceContext, user_id: str, limit: int) -> list[SignInEvent]:
    """Newest first."""
    require(ctx.provider, Capability.SIGN_IN_HISTORY)
    async with reading(ctx.engine) as conn:
        await user_of(ctx, conn, user_id)
        events = await ctx.provider.sign_ins(conn, user_id, limit=limit)
    return [signin_view(e) for e in events]


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


async def why_prompted(ctx: ServiceContext, user_id: str, limit: int) -> RiskReport:
    """Each recent sign-in with the signals that fired, judged from the history before it."""
    require(ctx.provider, Capability.SIGN_IN_HISTORY)
    since = ctx.clock.now() - timedelta(days=HISTORY_DAYS)
    async with reading(ctx.engine) as conn:
        await user_of(ctx, conn, user_id)
        events = await ctx.provider.sign_ins(conn, user_id, since=since)
    events.reverse()  # oldest first: each is judged from the ones before it
    explained = [_risk_view(item) for item in explain_signins(events)]
    explained.reverse()
    latest = next((s for s in explained if s.mfa_prompted), None)
    return RiskReport(user_id=user_id, signins=explained[:limit], latest_prompt=latest)
