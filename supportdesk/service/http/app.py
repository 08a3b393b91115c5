"""The auth service's ASGI application."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from supportdesk import __version__
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.http.errors import install_error_handlers
from supportdesk.service.http.routers import (
    agent_auth,
    approvals,
    audit,
    enduser,
    intake,
    meta,
    recovery,
    risk,
    sms,
    tickets,
    totp,
    users,
)
from supportdesk.service.ops.mailbox import start_mailbox
from supportdesk.service.settings import ServiceSettings

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def build_app(
    ctx: ServiceContext | None = None, settings: ServiceSettings | None = None
) -> FastAPI:
    """The app around a ready context (embedded, tests) or one it opens itself (serve).

    httpx's ASGI transport does not run lifespan events, so the embedded desk
    opens the context first and hands it in (and starts the mailbox itself). Under a
    server, the lifespan starts the support mailbox's poller when one is configured.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = getattr(app.state, "ctx", None) is None
        if opened:
            app.state.ctx = await open_context(settings or ServiceSettings())
        # The support mailbox is read in the background while the service runs.
        mailbox = await start_mailbox(app.state.ctx)
        try:
            yield
        finally:
            if mailbox is not None:
                await mailbox.stop()
            if opened:
                await app.state.ctx.engine.dispose()

    app = FastAPI(
        title="supportdesk auth service",
        version=__version__,
        description="Reference auth API behind the supportdesk kiosk. No secret ever leaves it.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_error_handlers(app)

    @app.middleware("http")
    async def _request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.state.request_id = rid
        response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        return response

    for module in (
        meta,
        agent_auth,
        users,
        tickets,
        audit,
        enduser,
        risk,
        totp,
        recovery,
        approvals,
        sms,
        intake,
    ):
        app.include_router(module.router)
    return app
