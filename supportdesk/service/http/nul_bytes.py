"""A NUL character anywhere in a request (path, query, body) is refused with 422.

PostgreSQL cannot store one in text (it fails the whole statement) and SQLite would
keep it silently, so the same input must get the same clear answer on both stores,
before any router sees it. Bodies are JSON: a literal NUL byte or a `\\u0000` escape.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from supportdesk.service.http.body_limit import error_answer

_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
"""`\\u0000` preceded by an even number of backslashes: a real escape, not an escaped `\\`."""


def has_nul(body: bytes) -> bool:
    return b"\x00" in body or _ESCAPED_NUL.search(body) is not None


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = None
        if "\x00" in scope.get("path", ""):
            where = "path"
        elif b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            where = "query"
        if where is not None:
            await self._refuse(send, where)
            return
        method = scope.get("method", "GET")
        if method in ("GET", "HEAD", "DELETE", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        # Read the (size-capped) body once, check it, and hand the same bytes on.
        chunks: list[bytes] = []
        while True:
            got = await receive()
            if got["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            chunks.append(got.get("body", b""))
            if not got.get("more_body", False):
                break
        body = b"".join(chunks)
        if has_nul(body):
            await self._refuse(send, "body")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Send, where: str) -> None:
        message = f"the request's {where} contains a NUL byte"
        for part in error_answer(422, "invalid_input", message):
            await send(part)
