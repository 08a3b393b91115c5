"""One error shape for every refusal: {"error": {"code", "message", "field"}}."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from supportdesk.service.errors import ServiceError
from supportdesk.service.store.engine import store_unavailable

log = logging.getLogger(__name__)

STORE_RETRY_AFTER_S = 2
"""How long a client should wait before trying again while the database is not answering:
the pool checks a connection before use (pre-ping), so the first request after the database
is back succeeds."""
STORE_DOWN_MESSAGE = "the desk's database is not answering; try again in a moment"
_LOG_EVERY_S = 10.0


def _body(code: str, message: str, field: str | None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "field": field}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(
            _body(exc.code, exc.message, exc.field), status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
        field = ".".join(loc) or None
        message = str(first.get("msg", "invalid request"))
        if field:
            message = f"{field}: {message}"
        return JSONResponse(_body("invalid_input", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        # Keep the exception's headers: a 405 names the methods that work (Allow).
        return JSONResponse(
            _body(code, str(exc.detail), None), status_code=exc.status_code, headers=exc.headers
        )

    last_logged = [0.0]

    async def _store_error(_request: Request, exc: Exception) -> JSONResponse:
        if not store_unavailable(exc):
            raise exc  # a real fault: the catch-all below answers 500 and it is logged in full
        now = time.monotonic()
        if now - last_logged[0] >= _LOG_EVERY_S:  # one line per burst, not one per request
            last_logged[0] = now
            # The type only: a driver's message may quote statement parameters.
            log.warning("the database is not answering (%s); answering 503", type(exc).__name__)
        return JSONResponse(
            _body("store_unavailable", STORE_DOWN_MESSAGE, None),
            status_code=503,
            headers={"Retry-After": str(STORE_RETRY_AFTER_S)},
        )

    for kind in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(kind, _store_error)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(
            _body("internal", "the service failed to handle this request", None), status_code=500
        )
