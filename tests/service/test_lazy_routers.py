"""The embedded service's app includes only the sign-in routers at first: the rest load on
first use, in the same order, and the API it describes is the whole one."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.app import build_app
from supportdesk.service.http.lazy_routers import load_deferred
from tests.support import sign_in_as


def paths(app: FastAPI) -> list[str]:
    """Every route's path, in the order the app tries them (included routers opened)."""
    found: list[str] = []
    for route in app.routes:
        router = getattr(route, "original_router", None)
        inner = router.routes if router is not None else [route]
        found += [str(getattr(r, "path", "")) for r in inner]
    return found


async def test_a_lazy_app_answers_every_route_loading_the_rest_on_first_use(
    ctx: ServiceContext,
) -> None:
    whole = build_app(ctx)
    lazy = build_app(ctx, lazy=True)
    assert "/v1/agent/sessions" in paths(lazy)
    assert "/v1/tickets" not in paths(lazy)
    client = SupportDeskClient("http://lazy", transport=httpx.ASGITransport(app=lazy))
    async with client:
        await sign_in_as(client, ctx, "demo-agent")
        tickets = await client.list_tickets()
    assert tickets, "the demo world has open tickets"
    assert paths(lazy) == paths(whole), "the routes, in the same order as built at once"


async def test_a_lazy_app_describes_the_whole_api(ctx: ServiceContext) -> None:
    lazy = build_app(ctx, lazy=True)
    assert lazy.openapi()["paths"].keys() == build_app(ctx).openapi()["paths"].keys()
    await load_deferred(lazy)  # already loaded: nothing more happens
    assert paths(lazy) == paths(build_app(ctx))
