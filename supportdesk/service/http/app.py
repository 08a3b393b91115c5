"""The auth service's ASGI application."""

from __future__ import annotations

import gc
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from supportdesk import __version__
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.http.body_limit import BodyLimit
from supportdesk.service.http.errors import install_error_handlers
from supportdesk.service.http.lazy_routers import include_routers
from supportdesk.service.http.nul_bytes import RefuseNul
from supportdesk.service.http.responses import install_openapi
from supportdesk.service.ops.warm import warm_up
from supportdesk.service.settings import ServiceSettings

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Each request's id (the client's X-Request-ID when well-formed, else a fresh one) in
    `request.state.request_id` and echoed on the answer; the audit entries carry it.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs
    every request in an extra task and streams the answer through a queue, a cost each
    request pays on the hot path for nothing this needs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        echoed = (b"x-request-id", rid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), echoed]
            await send(message)

        await self.app(scope, receive, send_with_id)


async def walk_the_routes(app: ASGIApp) -> None:
    """Send the app one request that no route answers, before it takes a real one.

    FastAPI prepares an included router (its routes' dependencies and validators) on the
    first request that passes through it: 40-50 ms for the first request of each worker,
    which under many kiosks is the slowest of the day. A path no router serves passes
    through them all; it reaches no operation and writes nothing.
    """
    path = "/v1/-warm-up-"
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    await app(scope, receive, send)


def build_app(
    ctx: ServiceContext | None = None,
    settings: ServiceSettings | None = None,
    *,
    lazy: bool = False,
) -> FastAPI:
    """The app around a ready context (embedded, tests) or one it opens itself (serve).

    httpx's ASGI transport does not run lifespan events, so the embedded desk
    opens the context first and hands it in (and starts the mailbox itself). Under a
    server, the lifespan starts the support mailbox's poller when one is configured, and
    at shutdown closes what the context it opened holds (the store, privacyIDEA's client).
    `lazy` (the desk's embedded service) includes only the routers a sign-in needs
    now and the rest on first use.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = getattr(app.state, "ctx", None) is None
        if opened:  # a server (not the embedded desk): load what first requests would
            app.state.ctx = await open_context(settings or ServiceSettings())
            # Before the first request is taken, not beside it: loading the triage model
            # holds the interpreter for about a second, and every request that arrived
            # meanwhile would wait behind it (0.8 s for a first ticket list, measured).
            await warm_up()
            await walk_the_routes(app)
            # What start-up made (modules, the triage model, compiled statements) lives
            # as long as the worker: left out of every collection from now on. A full
            # collection walked it all, about 30 ms here, a pause any request could wait in.
            gc.freeze()
        # The support mailbox is read in the background while the service runs. Its
        # intake (tickets, triage, replies) loads here: the embedded desk's service, which
        # has no lifespan, starts without it.
        from supportdesk.service.ops.mailbox import start_mailbox

        mailbox = await start_mailbox(app.state.ctx)
        try:
            yield
        finally:
            if mailbox is not None:
                await mailbox.stop()
            if opened:
                await app.state.ctx.aclose()
                gc.unfreeze()

    app = FastAPI(
        title="supportdesk auth service",
        version=__version__,
        description="Reference auth API behind the supportdesk kiosk. No secret ever leaves it.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    # Added before the request-id middleware, so they run inside it: outermost the cap.
    app.add_middleware(RefuseNul)
    limits = ctx.settings if ctx is not None else settings or ServiceSettings()
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)

    app.add_middleware(RequestIdMiddleware)

    install_openapi(app)  # before the routers: a lazy app wraps it to load them first
    include_routers(app, lazy=lazy)
    return app
