"""A small HTTP/1.1 client for the load generator: keep-alive connections on asyncio
streams, the request written in one piece, the answer parsed as little as the run needs.

The load generator shares the two cores with the servers and PostgreSQL, so every
millisecond of CPU it spends per request is a millisecond the service does not get.
httpx spends about one and a half per request on its models, URL handling and
connection pool; this spends a fraction of that. It speaks only what `supportdesk serve`
answers on loopback: status line, headers, a Content-Length or chunked body. It
raises httpx's transport errors, so a lost answer is counted as the bench always did.
The final exactly-once check still goes through httpx.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx


class RawResponse:
    """What a request was answered: status, headers (lower-case names), the body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]

IDLE_REUSE_S = 3.0
"""A kept connection idle longer than this is closed, not reused: uvicorn closes its end
after 5 s idle, and a request written into a connection it is closing is lost."""


class RawHttp:
    """Requests to one server over kept-alive connections (one per request in flight)."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._host_line = f"Host: {parts.netloc}\r\n"
        self._timeout = timeout
        self._idle: list[tuple[Connection, float]] = []

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> RawResponse:
        if params:
            path = f"{path}?{urlencode(params)}"
        body = b"" if json is None else jsonlib.dumps(json).encode("utf-8")
        head = [f"{method} {path} HTTP/1.1\r\n", self._host_line]
        head.extend(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        if json is not None:
            head.append("Content-Type: application/json\r\n")
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body)}\r\n")
        message = "".join(head).encode("latin-1") + b"\r\n" + body
        connection = self._kept()
        try:
            async with asyncio.timeout(timeout or self._timeout):
                if connection is None:
                    connection = await asyncio.open_connection(self._host, self._port)
                response, keep = await _exchange(connection, message)
        except TimeoutError as exc:
            _close(connection)
            raise httpx.ReadTimeout("no answer in time") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            _close(connection)
            raise httpx.ReadError(f"connection lost: {exc!r}") from exc
        except BaseException:
            _close(connection)
            raise
        if keep:
            self._idle.append((connection, time.monotonic()))
        else:
            _close(connection)
        return response

    def _kept(self) -> Connection | None:
        """The most recently used connection still open and not idle too long."""
        now = time.monotonic()
        while self._idle:
            connection, since = self._idle.pop()
            if now - since < IDLE_REUSE_S and not connection[0].at_eof():
                return connection
            _close(connection)
        return None

    async def aclose(self) -> None:
        while self._idle:
            _close(self._idle.pop()[0])


async def _exchange(connection: Connection, message: bytes) -> tuple[RawResponse, bool]:
    reader, writer = connection
    writer.write(message)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        content = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        content = await _chunks(reader)
    else:
        return RawResponse(status, headers, await reader.read()), False
    return RawResponse(status, headers, content), headers.get("connection") != "close"


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers from our server
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _close(connection: Connection | None) -> None:
    if connection is not None:
        connection[1].close()
