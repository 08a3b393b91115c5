"""Agents and leads sign in (password + their own TOTP code) and out."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response
from sqlalchemy import select

from supportdesk.api.models import Agent, AgentSession, AgentSignIn
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.db.schema import agent_sessions, agents
from supportdesk.service.deps import Ctx, CurrentAgent, RequestId
from supportdesk.service.errors import RateLimited, Unauthorised
from supportdesk.service.security import match_totp, new_token, token_digest

router = APIRouter(prefix="/v1/agent", tags=["agent sign-in"])

WRONG_CREDENTIALS = "wrong username, password or code"


@router.post("/sessions", response_model=AgentSession, status_code=201)
async def sign_in(body: AgentSignIn, ctx: Ctx, rid: RequestId) -> AgentSession:
    """Public by nature: this is how a caller gets a role at all."""
    now = ctx.clock.now()
    settings = ctx.settings
    refusal: Exception | None = None
    session: AgentSession | None = None
    async with ctx.engine.begin() as conn:
        row = (await conn.execute(select(agents).where(agents.c.username == body.username))).first()
        actor = Actor(name=body.username[:64], role=row.role if row else "unknown")
        if row is None:
            ctx.passwords.verify(ctx.passwords.hash("x"), body.password)  # same cost either way
            await append_audit(
                conn,
                at=now,
                actor=actor,
                action="agent.signin",
                outcome="failed",
                detail={"why": "unknown username"},
                request_id=rid,
            )
            refusal = Unauthorised(WRONG_CREDENTIALS)
        elif row.locked_until is not None and row.locked_until > now:
            wait = int((row.locked_until - now).total_seconds()) + 1
            await append_audit(
                conn,
                at=now,
                actor=actor,
                action="agent.signin",
                outcome="refused",
                detail={"why": "locked out", "retry_after_s": wait},
                request_id=rid,
            )
            refusal = RateLimited(
                f"too many failed sign-ins: try again in {wait // 60 + 1} min", retry_after_s=wait
            )
        else:
            step = None
            if ctx.passwords.verify(row.password_hash, body.password):
                step = match_totp(row.totp_secret, body.code, now, row.last_totp_step)
            if step is None:
                failures = row.failed_attempts + 1
                locked = failures >= settings.lockout_attempts
                await conn.execute(
                    agents.update()
                    .where(agents.c.id == row.id)
                    .values(
                        failed_attempts=0 if locked else failures,
                        locked_until=now + timedelta(seconds=settings.lockout_s)
                        if locked
                        else None,
                    )
                )
                await append_audit(
                    conn,
                    at=now,
                    actor=actor,
                    action="agent.signin",
                    outcome="locked_out" if locked else "failed",
                    detail={"failed_attempts": failures},
                    request_id=rid,
                )
                refusal = (
                    RateLimited(
                        f"{failures} failed sign-ins: locked for {settings.lockout_s // 60} min",
                        retry_after_s=settings.lockout_s,
                    )
                    if locked
                    else Unauthorised(WRONG_CREDENTIALS)
                )
            else:
                token = new_token()
                expires = now + timedelta(seconds=settings.token_absolute_s)
                await conn.execute(
                    agents.update()
                    .where(agents.c.id == row.id)
                    .values(failed_attempts=0, locked_until=None, last_totp_step=step)
                )
                await conn.execute(
                    agent_sessions.insert().values(
                        token_hash=token_digest(token),
                        agent_id=row.id,
                        created_at=now,
                        last_seen_at=now,
                        expires_at=expires,
                    )
                )
                await append_audit(
                    conn,
                    at=now,
                    actor=actor,
                    action="agent.signin",
                    outcome="success",
                    request_id=rid,
                )
                session = AgentSession(
                    token=token,
                    agent=Agent(
                        username=row.username, display_name=row.display_name, role=row.role
                    ),
                    expires_at=expires,
                    idle_timeout_s=settings.token_idle_s,
                )
    if refusal is not None:
        raise refusal
    assert session is not None
    return session


@router.delete("/sessions/current", status_code=204)
async def sign_out(agent: CurrentAgent, ctx: Ctx, rid: RequestId) -> Response:
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        await conn.execute(
            agent_sessions.update()
            .where(agent_sessions.c.id == agent.session_id)
            .values(revoked_at=now)
        )
        await append_audit(
            conn,
            at=now,
            actor=agent.actor,
            action="agent.signout",
            outcome="success",
            request_id=rid,
        )
    return Response(status_code=204)


@router.get("/me", response_model=Agent)
async def me(agent: CurrentAgent) -> Agent:
    return Agent(username=agent.username, display_name=agent.display_name, role=agent.role)
