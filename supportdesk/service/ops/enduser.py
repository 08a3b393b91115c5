"""End-user sign-in: how a fix is proven to take effect on the user's next sign-in.

The customer's app calls it, not an agent: the password (then a factor) is the
credential here. Each password typed opens a sign-in challenge that takes a few wrong
codes and then is spent, so the code prompt is no oracle for six digits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import EndUserMfaResult, EndUserSignInResult
from supportdesk.rules.codes import code_problem, normalise_code
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput, RateLimited, ServiceError, Unauthorised
from supportdesk.service.ops import guarding
from supportdesk.service.ops.common import user_of
from supportdesk.service.ops.guarding import LOCAL_SOURCE
from supportdesk.service.provider import Capability, require
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.store import ratelimit, signin_challenges
from supportdesk.service.store.ratelimit import Limit

NOT_ACCEPTED = "the code was not accepted"
MAX_FAILED_CODES = 5


async def sign_in(
    ctx: ServiceContext, email: str, password: str, *, source: str = LOCAL_SOURCE
) -> EndUserSignInResult:
    """A challenge for the right password; wrong ones spend the address's budget.

    The budget is per e-mail address, known or not (so it tells nothing about which
    exist): past it, the password is not even checked until the lock-out passes. Wrong
    passwords are counted per source address too, whatever the e-mail address: past
    that limit the source is refused before any password is checked (one audit entry a
    minute, not one per try), so one address cannot try a password on many accounts.
    """
    require(ctx.provider, Capability.ENDUSER_SIGNIN)
    now = ctx.clock.now()
    email = email.strip().lower()
    bucket = _bucket("password", hashlib.sha256(email.encode()).hexdigest()[:40])
    settings = ctx.settings
    async with ctx.engine.begin() as conn:
        refusal: ServiceError | None = await _refused_unchecked(
            ctx, conn, email, bucket, source, now
        )
        user = None if refusal else await ctx.provider.check_password(conn, email, password)
        if refusal is None and user is None:
            await guarding.count_source_failure(conn, source, now, guarding.ENDUSER)
            failures = await ratelimit.hit(conn, bucket, now, _lockout(settings))
            refusal = Unauthorised("wrong e-mail address or password")
            if failures >= settings.enduser_password_failures:
                entry = audit.enduser_locked_out(
                    email, "password", failures=failures, retry_after_s=settings.enduser_lockout_s
                )
                await record(conn, entry, at=now)
                refusal = _locked(settings.enduser_lockout_s)
        elif user is not None:
            await ratelimit.clear(conn, bucket)
            challenge_id = secrets.token_urlsafe(16)
            expires = now + timedelta(seconds=settings.signin_challenge_s)
            await signin_challenges.open_challenge(conn, challenge_id, user.id, now, expires)
            methods = sorted({f.type for f in await ctx.provider.factors(conn, user.id)})
    if refusal is not None or user is None:
        raise refusal or Unauthorised("wrong e-mail address or password")
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
    settings = ctx.settings
    token: str | None = None
    refusal: ServiceError = Unauthorised(NOT_ACCEPTED)
    async with ctx.engine.begin() as conn:
        challenge = await signin_challenges.live(conn, challenge_id, now)
        if challenge is None:
            raise Unauthorised("the sign-in has expired: start again")
        bucket = _bucket("codes", challenge.user_id)
        await ratelimit.hold(conn, bucket)
        wait = await ratelimit.wait_s(conn, bucket, now, [_limit(settings, "code")])
        if wait:
            raise _locked(wait)
        user = await user_of(ctx, conn, challenge.user_id)
        status = await ctx.provider.check_signin_code(conn, user, method, code, now)
        if status is None:
            # Each sign-in gets a few guesses, then the password must be typed again;
            # and the user's guesses across sign-ins run into a budget of their own.
            failures = (challenge.failed_codes or 0) + 1
            spent = failures >= MAX_FAILED_CODES
            await signin_challenges.record_failure(
                conn, challenge_id, failures, now if spent else None
            )
            refusal = Unauthorised(
                "too many wrong codes: sign in again from the start" if spent else NOT_ACCEPTED
            )
            wrong = await ratelimit.hit(conn, bucket, now, _lockout(settings))
            if wrong >= settings.enduser_code_failures:
                entry = audit.enduser_locked_out(
                    user.email,
                    "code",
                    failures=wrong,
                    retry_after_s=settings.enduser_lockout_s,
                )
                await record(conn, entry, at=now)
                refusal = _locked(settings.enduser_lockout_s)
        else:
            await ratelimit.clear(conn, bucket)
            await signin_challenges.use(conn, challenge_id, now)
            token = await ctx.provider.open_user_session(conn, user, now)
    if status is None or token is None:
        raise refusal  # after the transaction, so the failed attempt is counted
    return EndUserMfaResult(status=status, session_token=token)


async def _refused_unchecked(
    ctx: ServiceContext,
    conn: AsyncConnection,
    email: str,
    bucket: str,
    source: str,
    now: datetime,
) -> RateLimited | None:
    """The refusal that comes before any password is checked: the source is past its
    limit of wrong passwords (the first refusal of each minute is noted in the log, the
    rest of that minute are not), or this e-mail address's budget is spent."""
    wait = await guarding.source_wait(conn, ctx.settings, source, now, guarding.ENDUSER)
    if wait:
        failures = await guarding.failures_to_note(conn, source, now, guarding.ENDUSER)
        if failures is not None:
            entry = audit.enduser_throttled(
                email, source=source, failures_last_minute=failures, retry_after_s=wait
            )
            await record(conn, entry, at=now)
        return RateLimited(
            f"too many failed sign-ins from this address: try again in {wait} s",
            retry_after_s=wait,
        )
    await ratelimit.hold(conn, bucket)
    wait = await ratelimit.wait_s(conn, bucket, now, [_limit(ctx.settings, "password")])
    return _locked(wait) if wait else None


def _bucket(kind: str, key: str) -> str:
    return f"enduser-{kind}:{key}"


def _lockout(settings: ServiceSettings) -> timedelta:
    return timedelta(seconds=settings.enduser_lockout_s)


def _limit(settings: ServiceSettings, step: str) -> Limit:
    """Failures allowed in the lock-out window before the step is refused outright."""
    count = (
        settings.enduser_password_failures if step == "password" else settings.enduser_code_failures
    )
    return Limit(count, _lockout(settings), f"wrong {step}s")


def _locked(wait: int) -> RateLimited:
    return RateLimited(
        f"too many wrong tries: sign-in is locked, try again in {wait // 60 + 1} min",
        retry_after_s=wait,
    )
