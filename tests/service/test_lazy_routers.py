"""The embedded service's app includes only the sign-in routers at first: the rest load on
first use, in the same order, and the API it describes is the whole one."""

from __future__ import annotations

import subprocess
import sys

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


def test_the_embedded_service_starts_without_the_desks_http_client() -> None:
    """What the service process imports before it can answer a sign-in: the wire models
    it shares with the desk, not the desk's HTTP client (httpx alone is tens of ms of the
    time before the first sign-in is answered)."""
    probe = (
        "import sys\n"
        "from supportdesk.service.demo.store import open_demo_context\n"
        "from supportdesk.service.http.app import build_app\n"
        "from supportdesk.service.http.lazy_routers import load_deferred\n"
        "wanted = ('httpx', 'supportdesk.api')\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(wanted))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert "httpx" not in loaded
    assert "supportdesk.api.base" not in loaded and "supportdesk.api.audit_calls" not in loaded
    assert "supportdesk.api.audit" in loaded  # the shared models do load: the probe works
