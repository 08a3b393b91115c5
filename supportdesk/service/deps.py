"""Request dependencies: the context, the request id, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import select

from supportdesk.service.audit import Actor
from supportdesk.service.context import ServiceContext
from supportdesk.service.db.schema import agent_sessions, agents
from supportdesk.service.errors import Forbidden, Unauthorised
from supportdesk.service.security import token_digest


def get_ctx(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


def request_id(request: Request) -> str:
    rid: str = request.state.request_id
    return rid


@dataclass(frozen=True)
class Principal:
    """A signed-in agent or lead, as resolved from the bearer token."""

    agent_id: int
    username: str
    display_name: str
    role: str
    session_id: int

    @property
    def actor(self) -> Actor:
        return Actor(name=self.username, role=self.role)


Ctx = Annotated[ServiceContext, Depends(get_ctx)]
RequestId = Annotated[str, Depends(request_id)]


async def current_agent(
    ctx: Ctx, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """Resolve the bearer token; refuse missing, unknown, revoked or expired ones."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorised("sign in first: this needs an agent's bearer token")
    digest = token_digest(authorization.split(" ", 1)[1].strip())
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        row = (
            await conn.execute(
                select(
                    agent_sessions.c.id,
                    agent_sessions.c.last_seen_at,
                    agent_sessions.c.expires_at,
                    agent_sessions.c.revoked_at,
                    agents.c.id.label("agent_id"),
                    agents.c.username,
                    agents.c.display_name,
                    agents.c.role,
                )
                .join(agents, agents.c.id == agent_sessions.c.agent_id)
                .where(agent_sessions.c.token_hash == digest)
            )
        ).first()
        if row is None or row.revoked_at is not None:
            raise Unauthorised("the session is not valid: sign in again")
        idle_limit = row.last_seen_at + timedelta(seconds=ctx.settings.token_idle_s)
        if now >= row.expires_at or now >= idle_limit:
            raise Unauthorised("the session has expired: sign in again")
        await conn.execute(
            agent_sessions.update().where(agent_sessions.c.id == row.id).values(last_seen_at=now)
        )
    return Principal(
        agent_id=row.agent_id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        session_id=row.id,
    )


CurrentAgent = Annotated[Principal, Depends(current_agent)]


async def current_lead(agent: CurrentAgent) -> Principal:
    if agent.role != "lead":
        raise Forbidden("only a team lead may do this")
    return agent


CurrentLead = Annotated[Principal, Depends(current_lead)]
