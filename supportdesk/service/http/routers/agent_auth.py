"""Agents and leads sign in (password + their own TOTP code) and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from supportdesk.api.models import Agent, AgentSession, AgentSignIn
from supportdesk.service.http.deps import ClientSource, Ctx, CurrentAgent, RequestId
from supportdesk.service.ops import sessions

router = APIRouter(prefix="/v1/agent", tags=["agent sign-in"])


@router.post("/sessions", response_model=AgentSession, status_code=201)
async def sign_in(
    body: AgentSignIn, ctx: Ctx, rid: RequestId, source: ClientSource
) -> AgentSession:
    """Public by nature: this is how a caller gets a role at all."""
    return await sessions.sign_in(
        ctx, body.username, body.password, body.code, request_id=rid, source=source
    )


@router.delete("/sessions/current", status_code=204)
async def sign_out(
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    reason: Annotated[
        sessions.SignOutReason | None,
        Query(description="why the session ends, for the audit log: sign_out, or lock"),
    ] = None,
) -> Response:
    await sessions.sign_out(ctx, agent, reason=reason, request_id=rid)
    return Response(status_code=204)


@router.get("/me", response_model=Agent)
async def me(agent: CurrentAgent) -> Agent:
    return sessions.me(agent)
