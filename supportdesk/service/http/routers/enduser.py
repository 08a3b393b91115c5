"""End-user sign-in: how a fix is proven to take effect on the user's next sign-in.

Called by the customer's app, not by agents: the password (then a factor) is
the credential here, so no agent role applies.
"""

from __future__ import annotations

from fastapi import APIRouter

from supportdesk.api.models import EndUserMfa, EndUserMfaResult, EndUserSignIn, EndUserSignInResult
from supportdesk.service.http.deps import ClientSource, Ctx
from supportdesk.service.ops import enduser

router = APIRouter(prefix="/v1/enduser", tags=["end-user sign-in"])


@router.post("/signin", response_model=EndUserSignInResult)
async def sign_in(body: EndUserSignIn, ctx: Ctx, source: ClientSource) -> EndUserSignInResult:
    return await enduser.sign_in(ctx, body.email, body.password, source=source)


@router.post("/signin/verify", response_model=EndUserMfaResult)
async def verify(body: EndUserMfa, ctx: Ctx) -> EndUserMfaResult:
    """Second step: a TOTP code, an SMS code, or a one-time access code from support."""
    return await enduser.verify(ctx, body.challenge_id, body.method, body.code)
