"""Agents and leads sign in (password + their own TOTP code), are recognised by their
bearer token on every call, and sign out or lock the desk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import Agent, AgentSession
from supportdesk.rules.codes import code_problem, normalise_code
from supportdesk.service.audit import Actor, record
from supportdesk.service.audit import entries as audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import (
    CodeAlreadyUsed,
    Forbidden,
    InvalidInput,
    RateLimited,
    ServiceError,
    Unauthorised,
)
from supportdesk.service.ops import guarding
from supportdesk.service.ops.common import Principal
from supportdesk.service.ops.guarding import LOCAL_SOURCE
from supportdesk.service.security import check_totp, new_token, token_digest
from supportdesk.service.store import agents
from supportdesk.service.store.engine import reading

WRONG_CREDENTIALS = "wrong username, password or code"
CODE_ALREADY_USED = "That code was already used: wait for the next one (up to 30 s)."
_DECOY = "not a password anyone has"

SignOutReason = Literal["sign_out", "lock"]


async def sign_in(
    ctx: ServiceContext,
    username: str,
    password: str,
    code: str,
    *,
    request_id: str,
    source: str = LOCAL_SOURCE,
) -> AgentSession:
    """A session for the right password and a fresh code; attempts are audited.

    A code of the wrong shape is refused before anything is checked (and counts for
    nothing). Failures are counted per source address and per account (see
    docs/security.md): a flood from one source is throttled before any hash is
    computed, with one audit entry per minute rather than one per try.
    """
    digits = normalise_code(code)
    if digits is None:
        raise InvalidInput(code_problem(code) or "type the 6-digit code", field="code")
    now = ctx.clock.now()
    refusal: ServiceError | None = None
    session: AgentSession | None = None
    async with ctx.engine.begin() as conn:
        source_wait = await guarding.source_wait(conn, ctx.settings, source, now)
        if source_wait > 0:
            entry = await guarding.throttled_entry(conn, username, source, now, source_wait)
            refusal = RateLimited(
                f"too many failed sign-ins from this address: try again in {source_wait} s",
                retry_after_s=source_wait,
            )
        else:
            # Locked to this transaction: the check and the count cannot interleave.
            row = await agents.by_username(conn, username, lock=True)
            if row is None:
                await ctx.passwords.check(await ctx.passwords.make(_DECOY), password)  # same cost
                await guarding.count_source_failure(conn, source, now)
                actor = Actor(name=username[:64], role="unknown")
                entry = audit.agent_signin(actor, "failed", why="unknown username", source=source)
                refusal = Unauthorised(WRONG_CREDENTIALS)
            else:
                entry, refusal, session = await _check(
                    ctx, conn, row, password, digits, source, now
                )
        if entry is not None:
            await record(conn, entry, at=now, request_id=request_id)
    if refusal is not None:
        raise refusal
    assert session is not None
    return session


async def _check(
    ctx: ServiceContext,
    conn: AsyncConnection,
    row: Any,
    password: str,
    digits: str,
    source: str,
    now: datetime,
) -> tuple[audit.Entry | None, ServiceError | None, AgentSession | None]:
    """The locked agent row's sign-in: lock-outs first, then the password and the code."""
    settings = ctx.settings
    actor = Actor(name=row.username, role=row.role)
    wait = await guarding.locked_for(conn, settings, row, source, now)
    if wait > 0:
        entry = audit.agent_signin(
            actor, "refused", why="locked out", retry_after_s=wait, source=source
        )
        locked_out = RateLimited(
            f"too many failed sign-ins: try again in {wait // 60 + 1} min", retry_after_s=wait
        )
        return entry, locked_out, None
    match = None
    if await ctx.passwords.check(row.password_hash, password):
        match = check_totp(row.totp_secret, digits, now, row.last_totp_step)
    if match is None or match.step is None:
        reused = match is not None and match.reused
        failures, locked = await guarding.count_failure(
            conn, settings, row, source, now, wrong_password=match is None
        )
        why = {"why": "code already used"} if reused else {}
        entry = audit.agent_signin(
            actor,
            "locked_out" if locked else "failed",
            failed_attempts=failures,
            source=source,
            **why,
        )
        if locked:
            refusal: ServiceError = RateLimited(
                f"{failures} failed sign-ins: locked for {settings.lockout_s // 60} min",
                retry_after_s=settings.lockout_s,
            )
        elif reused:
            refusal = CodeAlreadyUsed(CODE_ALREADY_USED, field="code")
        else:
            refusal = Unauthorised(WRONG_CREDENTIALS)
        return entry, refusal, None
    token = new_token()
    expires = now + timedelta(seconds=settings.token_absolute_s)
    await agents.record_success(conn, row.id, match.step)
    await guarding.forgive(conn, settings, row.id, source, now)
    await agents.open_session(conn, row.id, token_digest(token), now, expires)
    session = AgentSession(
        token=token,
        agent=Agent(username=row.username, display_name=row.display_name, role=row.role),
        expires_at=expires,
        idle_timeout_s=settings.token_idle_s,
    )
    return audit.agent_signin(actor, "success", source=source), None, session


async def principal(ctx: ServiceContext, token: str) -> Principal:
    """Who holds this bearer token; refuse unknown, revoked or expired ones.

    A read, not a write: `last_seen_at` is written only when it is `session_touch_s` old
    (so most requests take no write lock, and SQLite's BEGIN IMMEDIATE is not paid per
    request). Idle expiry counts from the stored time, at most that much behind the last
    request: a session idle for `token_idle_s` is always refused, and one used within the
    last `token_idle_s - session_touch_s` never is.
    """
    digest = token_digest(token)
    now = ctx.clock.now()
    async with reading(ctx.engine, keyed=True) as conn:
        row = await agents.session_by_token(conn, digest)
    if row is None or row.revoked_at is not None:
        raise Unauthorised("the session is not valid: sign in again")
    idle_limit = row.last_seen_at + timedelta(seconds=ctx.settings.token_idle_s)
    if now >= row.expires_at or now >= idle_limit:
        raise Unauthorised("the session has expired: sign in again")
    if now - row.last_seen_at >= timedelta(seconds=ctx.settings.session_touch_s):
        async with ctx.engine.begin() as conn:
            await agents.touch_session(conn, row.id, now)
    return Principal(
        agent_id=row.agent_id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        session_id=row.id,
    )


def require_lead(who: Principal) -> Principal:
    if who.role != "lead":
        raise Forbidden("only a team lead may do this")
    return who


async def sign_out(
    ctx: ServiceContext,
    who: Principal,
    *,
    reason: SignOutReason | None = None,
    request_id: str,
) -> None:
    """End the session now, on the record: signed out, or the desk locked (`reason`)."""
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        await agents.end_session(conn, who.session_id, now)
        await record(conn, audit.agent_signout(who.actor, reason), at=now, request_id=request_id)


def me(who: Principal) -> Agent:
    return Agent(username=who.username, display_name=who.display_name, role=who.role)  # type: ignore[arg-type]
