"""Request dependencies: the context, the request id, and who is calling."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBase as HTTPBaseModel
from fastapi.security.base import SecurityBase

from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Unauthorised
from supportdesk.service.ops import sessions
from supportdesk.service.ops.common import Principal
from supportdesk.service.ops.guarding import LOCAL_SOURCE

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

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


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_source(request: Request, ctx: Ctx) -> str:
    """The caller's address, for per-source limits.

    X-Forwarded-For is believed only when the peer is a configured trusted proxy
    (`trusted_proxies`); then the nearest address in it that is not itself a trusted
    proxy is the client. Anyone else could write anything in that header.
    """
    peer = request.client.host if request.client else LOCAL_SOURCE
    networks = _networks(tuple(ctx.settings.trusted_proxies))
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a proxy passed on garbage: count it against the proxy
    return peer


async def _client_source(request: Request, ctx: Ctx) -> str:
    """`client_source` as a dependency: async, since FastAPI runs a plain def one in a
    worker thread (and the first such call loads anyio's thread pool, about 90 ms of CPU
    on the embedded service's first sign-in)."""
    return client_source(request, ctx)


ClientSource = Annotated[str, Depends(_client_source)]


class BearerSession(SecurityBase):
    """Who is calling, from the bearer token a sign-in returned; missing, unknown, revoked
    and expired tokens are refused.

    A security scheme rather than an `Authorization` header parameter: the OpenAPI
    document names it once (`securitySchemes`, then `security` on every operation that
    needs it), and FastAPI solves a dependency that takes only the request, with no
    parameter of its own to look up and validate on every signed-in request. The context
    is read from the app rather than through `Ctx` for the same reason: FastAPI solves a
    sub-dependency again for every dependant that names it."""

    def __init__(self) -> None:
        self.model = HTTPBaseModel(
            scheme="bearer", description="the token `POST /v1/agent/sessions` returned"
        )
        self.scheme_name = "agentSession"

    async def __call__(self, request: Request) -> Principal:
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorised("sign in first: this needs an agent's bearer token")
        ctx: ServiceContext = request.app.state.ctx
        return await sessions.principal(ctx, token.strip())


current_agent = BearerSession()
CurrentAgent = Annotated[Principal, Depends(current_agent)]


async def current_lead(agent: CurrentAgent) -> Principal:
    return sessions.require_lead(agent)


CurrentLead = Annotated[Principal, Depends(current_lead)]
