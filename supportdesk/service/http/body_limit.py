"""Request bodies past a size are refused (413) before anything reads or parses them.

Pure ASGI, outside the routers: a declared Content-Length over the cap is answered at
once; a body that arrives in chunks is counted as it comes and cut off at the cap, so
a client without a token cannot make the service hold 50 MB in memory.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(Exception):
    pass


def error_answer(status: int, code: str, message: str) -> tuple[Message, Message]:
    body = json.dumps({"error": {"code": code, "message": message, "field": None}}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class BodyLimit:
    """Answer 413 to any request whose body is larger than `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"the request body is larger than {self.max_bytes} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    for part in error_answer(413, "too_large", message):
                        await send(part)
                    return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            got = await receive()
            if got["type"] == "http.request":
                seen += len(got.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return got

        async def watched(out: Message) -> None:
            nonlocal started
            if out["type"] == "http.response.start":
                started = True
            await send(out)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:
                raise
            for part in error_answer(413, "too_large", message):
                await send(part)
