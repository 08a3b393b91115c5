"""Request dependencies: the context, the request id, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Unauthorised
from supportdesk.service.ops import sessions
from supportdesk.service.ops.common import Principal

# Dependencies are `async def` even when they do not await: FastAPI runs a plain `def`
# dependency in a worker thread, two thread hand-offs per request for a dict lookup.


async def get_ctx(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


async def request_id(request: Request) -> str:
    rid: str = request.state.request_id
    return rid


Ctx = Annotated[ServiceContext, Depends(get_ctx)]
RequestId = Annotated[str, Depends(request_id)]


async def current_agent(
    ctx: Ctx, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """Resolve the bearer token; refuse missing, unknown, revoked or expired ones."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorised("sign in first: this needs an agent's bearer token")
    return await sessions.principal(ctx, authorization.split(" ", 1)[1].strip())


CurrentAgent = Annotated[Principal, Depends(current_agent)]


async def current_lead(agent: CurrentAgent) -> Principal:
    return sessions.require_lead(agent)


CurrentLead = Annotated[Principal, Depends(current_lead)]
