"""End-user sign-in: how a fix is proven to take effect on the user's next sign-in.

The customer's app calls it, not an agent: the password (then a factor) is the
credential here. Each password typed opens a sign-in challenge that takes a few wrong
codes and then is spent, so the code prompt is no oracle for six digits.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from supportdesk.api.models import EndUserMfaResult, EndUserSignInResult
from supportdesk.rules.codes import code_problem, normalise_code
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput, Unauthorised
from supportdesk.service.ops.common import user_of
from supportdesk.service.provider import Capability, require
from supportdesk.service.store import signin_challenges

NOT_ACCEPTED = "the code was not accepted"
MAX_FAILED_CODES = 5


async def sign_in(ctx: ServiceContext, email: str, password: str) -> EndUserSignInResult:
    require(ctx.provider, Capability.ENDUSER_SIGNIN)
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        user = await ctx.provider.check_password(conn, email.strip().lower(), password)
        if user is None:
            raise Unauthorised("wrong e-mail address or password")
        challenge_id = secrets.token_urlsafe(16)
        expires = now + timedelta(seconds=ctx.settings.signin_challenge_s)
        await signin_challenges.open_challenge(conn, challenge_id, user.id, now, expires)
        methods = sorted({f.type for f in await ctx.provider.factors(conn, user.id)})
    status = (
        "setup_required" if user.mfa_status == "setup_required" or not methods else "mfa_required"
    )
    return EndUserSignInResult(
        status=status,  # type: ignore[arg-type]
        challenge_id=challenge_id,
        methods=methods if status == "mfa_required" else [],  # type: ignore[arg-type]
        enrol_required=user.enrol_required,  # type: ignore[arg-type]
    )


async def verify(
    ctx: ServiceContext, challenge_id: str, method: str, code: str
) -> EndUserMfaResult:
    """Second step: a TOTP code, an SMS code, or a one-time access code from support.

    A TOTP or SMS code of the wrong shape is refused before it is checked and spends
    none of the sign-in's guesses; access codes keep their own reading (letters too).
    """
    require(ctx.provider, Capability.ENDUSER_SIGNIN)
    if method != "access_code":
        digits = normalise_code(code)
        if digits is None:
            raise InvalidInput(code_problem(code) or "type the 6-digit code", field="code")
        code = digits
    now = ctx.clock.now()
    token: str | None = None
    async with ctx.engine.begin() as conn:
        challenge = await signin_challenges.live(conn, challenge_id, now)
        if challenge is None:
            raise Unauthorised("the sign-in has expired: start again")
        user = await user_of(ctx, conn, challenge.user_id)
        status = await ctx.provider.check_signin_code(conn, user, method, code, now)
        if status is None:
            # Each sign-in gets a few guesses, then the password must be typed again.
            failures = (challenge.failed_codes or 0) + 1
            spent = failures >= MAX_FAILED_CODES
            await signin_challenges.record_failure(
                conn, challenge_id, failures, now if spent else None
            )
            refusal = Unauthorised(
                "too many wrong codes: sign in again from the start" if spent else NOT_ACCEPTED
            )
        else:
            await signin_challenges.use(conn, challenge_id, now)
            token = await ctx.provider.open_user_session(conn, user, now)
    if status is None or token is None:
        raise refusal  # after the transaction, so the failed attempt is counted
    return EndUserMfaResult(status=status, session_token=token)
