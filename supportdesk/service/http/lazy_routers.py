"""Routers by name, loaded at once (`supportdesk serve`, tests) or on first use.

The embedded desk's service must answer a sign-in soon after launch; most routers (and
the operations, wire models and rules behind them) are not needed for that. With
`lazy=True` only the FIRST ones are included when the app is built; the rest load in
a worker thread when a request arrives that none of the loaded routes serves, or when
the service calls `load_deferred` once it is idle. Route order is kept either way.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

PACKAGE = "supportdesk.service.http.routers"
FIRST = ("meta", "agent_auth")
"""What a desk asks first: capabilities, then a sign-in."""
DEFERRED = (
    "users",
    "tickets",
    "audit",
    "enduser",
    "risk",
    "totp",
    "recovery",
    "approvals",
    "sms",
    "intake",
)
"""Everything else, in the order they are included."""


def router_of(name: str) -> APIRouter:
    router: APIRouter = importlib.import_module(f"{PACKAGE}.{name}").router
    return router


class DeferredRouters:
    """The routers an app has not included yet, and the one way to include them."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.loaded = False
        self._lock = asyncio.Lock()

    def serves(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] == Match.FULL for route in self.app.router.routes)

    async def load(self) -> None:
        """Import in a thread (the loop keeps answering), include on the loop."""
        async with self._lock:
            if self.loaded:
                return
            routers = [await asyncio.to_thread(router_of, name) for name in DEFERRED]
            self._include(routers)

    def load_now(self) -> None:
        """The same, blocking (for `app.openapi()` called outside a request)."""
        if not self.loaded:
            self._include([router_of(name) for name in DEFERRED])

    def _include(self, routers: list[APIRouter]) -> None:
        if self.loaded:
            return
        for router in routers:
            self.app.include_router(router)
        self.app.openapi_schema = None
        self.loaded = True


class LoadBeforeUnknownPaths:
    """ASGI middleware: a request no loaded route serves waits for the rest to load."""

    def __init__(self, app: ASGIApp, deferred: DeferredRouters) -> None:
        self.app = app
        self.deferred = deferred

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        deferred = self.deferred
        if scope["type"] == "http" and not deferred.loaded and not deferred.serves(scope):
            await deferred.load()
        await self.app(scope, receive, send)


def include_routers(app: FastAPI, *, lazy: bool) -> None:
    """All routers now, or the first ones now and the rest on first use."""
    if not lazy:
        for name in (*FIRST, *DEFERRED):
            app.include_router(router_of(name))
        return
    for name in FIRST:
        app.include_router(router_of(name))
    deferred = DeferredRouters(app)
    app.state.deferred_routers = deferred
    app.add_middleware(LoadBeforeUnknownPaths, deferred=deferred)
    schema = app.openapi

    def openapi() -> dict[str, Any]:
        deferred.load_now()
        return schema()

    app.openapi = openapi  # type: ignore[method-assign]


async def load_deferred(app: FastAPI) -> None:
    """Include whatever `lazy` left out (a no-op for an app built with everything)."""
    deferred: DeferredRouters | None = getattr(app.state, "deferred_routers", None)
    if deferred is not None:
        await deferred.load()
