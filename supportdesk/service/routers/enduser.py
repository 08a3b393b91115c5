"""End-user sign-in: how a fix is proven to take effect on the user's next sign-in.

Called by the customer's app, not by agents: the password (then a factor) is
the credential here, so no agent role applies.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import EndUserMfa, EndUserMfaResult, EndUserSignIn, EndUserSignInResult
from supportdesk.service.context import ServiceContext
from supportdesk.service.db.schema import (
    access_codes,
    factors,
    signin_challenges,
    sms_codes,
    user_sessions,
    users,
)
from supportdesk.service.deps import Ctx
from supportdesk.service.errors import Unauthorised
from supportdesk.service.security import (
    code_digest,
    codes_equal,
    match_totp,
    new_token,
    normalise_access_code,
    token_digest,
)
from supportdesk.service.views import active_factor_rows

router = APIRouter(prefix="/v1/enduser", tags=["end-user sign-in"])

NOT_ACCEPTED = "the code was not accepted"
MAX_FAILED_CODES = 5


@router.post("/signin", response_model=EndUserSignInResult)
async def sign_in(body: EndUserSignIn, ctx: Ctx) -> EndUserSignInResult:
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        row = (
            await conn.execute(select(users).where(users.c.email == body.email.strip().lower()))
        ).first()
        if row is None or not ctx.passwords.verify(row.password_hash, body.password):
            raise Unauthorised("wrong e-mail address or password")
        challenge_id = secrets.token_urlsafe(16)
        await conn.execute(
            signin_challenges.insert().values(
                id=challenge_id,
                user_id=row.id,
                created_at=now,
                expires_at=now + timedelta(seconds=ctx.settings.signin_challenge_s),
            )
        )
        methods = sorted({f["type"] for f in await active_factor_rows(conn, row.id)})
    status = (
        "setup_required" if row.mfa_status == "setup_required" or not methods else "mfa_required"
    )
    return EndUserSignInResult(
        status=status,  # type: ignore[arg-type]
        challenge_id=challenge_id,
        methods=methods if status == "mfa_required" else [],  # type: ignore[arg-type]
        enrol_required=row.enrol_required,
    )


@router.post("/signin/verify", response_model=EndUserMfaResult)
async def verify(body: EndUserMfa, ctx: Ctx) -> EndUserMfaResult:
    """Second step: a TOTP code, an SMS code, or a one-time access code from support."""
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        challenge = (
            await conn.execute(
                select(signin_challenges).where(signin_challenges.c.id == body.challenge_id)
            )
        ).first()
        if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
            raise Unauthorised("the sign-in has expired: start again")
        user = (await conn.execute(select(users).where(users.c.id == challenge.user_id))).one()
        status = await _check_code(ctx, conn, user, body)
        if status is None:
            # Each sign-in gets a few guesses, then the password must be typed again:
            # without this the code prompt would be an oracle for six digits.
            failures = (challenge.failed_codes or 0) + 1
            spent = failures >= MAX_FAILED_CODES
            await conn.execute(
                signin_challenges.update()
                .where(signin_challenges.c.id == body.challenge_id)
                .values(failed_codes=failures, used_at=now if spent else None)
            )
            refusal = Unauthorised(
                "too many wrong codes: sign in again from the start" if spent else NOT_ACCEPTED
            )
        else:
            token = new_token()
            await conn.execute(
                signin_challenges.update()
                .where(signin_challenges.c.id == body.challenge_id)
                .values(used_at=now)
            )
            await conn.execute(
                user_sessions.insert().values(
                    user_id=user.id, token_hash=token_digest(token), created_at=now
                )
            )
    if status is None:
        raise refusal  # after the transaction, so the failed attempt is counted
    return EndUserMfaResult(status=status, session_token=token)  # type: ignore[arg-type]


async def _check_code(
    ctx: ServiceContext, conn: AsyncConnection, user: Row[Any], body: EndUserMfa
) -> str | None:
    """The resulting status when the code is good (and spends it), else None."""
    now = ctx.clock.now()
    user_id: str = user.id
    setup_required = user.mfa_status == "setup_required"
    if body.method == "access_code":
        digest = code_digest(ctx.server_key, normalise_access_code(body.code))
        rows = await conn.execute(
            select(access_codes)
            .where(access_codes.c.user_id == user_id)
            .where(access_codes.c.used_at.is_(None))
            .where(access_codes.c.expires_at > now)
        )
        for row in rows:
            if codes_equal(row.code_hash, digest):
                await conn.execute(
                    access_codes.update().where(access_codes.c.id == row.id).values(used_at=now)
                )
                return "enrol_only"
        return None
    if setup_required:
        return None
    for factor in await active_factor_rows(conn, user_id):
        if factor["type"] != body.method:
            continue
        if body.method == "totp" and factor["totp_secret"]:
            step = match_totp(factor["totp_secret"], body.code, now, factor["last_totp_step"])
            if step is not None:
                await conn.execute(
                    factors.update()
                    .where(factors.c.id == factor["id"])
                    .values(last_totp_step=step, last_used_at=now)
                )
                return "signed_in"
        if body.method == "sms":
            digest = code_digest(ctx.server_key, body.code.strip())
            live = (
                await conn.execute(
                    select(sms_codes)
                    .where(sms_codes.c.factor_id == factor["id"])
                    .where(sms_codes.c.dead_at.is_(None))
                    .where(sms_codes.c.expires_at > now)
                )
            ).all()
            for code_row in live:
                if codes_equal(code_row.code_hash, digest):
                    await conn.execute(
                        sms_codes.update().where(sms_codes.c.id == code_row.id).values(dead_at=now)
                    )
                    await conn.execute(
                        factors.update()
                        .where(factors.c.id == factor["id"])
                        .values(last_used_at=now)
                    )
                    return "signed_in"
    return None
