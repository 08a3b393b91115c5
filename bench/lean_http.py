"""A lean HTTP/1.1 client for timing a server: one keep-alive connection, h11's parser.

httpx costs about 0.7 ms of client-side work per request on this machine, 1.4 ms when the
request follows a pause, more than `supportdesk serve` spends answering a read. Timing
two servers through it adds that same client time to both, which hides the servers'
own difference. This client does only what timing a GET needs: write the request, parse
the answer with h11 (the parser httpx's own transport uses), keep the connection open,
and open a new one when the server closes it. Not for anything but benchmarks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

import h11


class LeanHttp:
    """GETs on one connection to `base_url` (http only), with fixed headers."""

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None) -> None:
        url = urlsplit(base_url)
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 80
        self.headers = [("host", f"{self.host}:{self.port}"), *(headers or {}).items()]
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._http = h11.Connection(h11.CLIENT)

    async def get(self, path: str, params: Mapping[str, object] | None = None) -> bytes:
        """The body of a 200 answer; any other status raises."""
        if self._streams is None or self._http.our_state is not h11.IDLE:
            await self.aclose()
            self._streams = await asyncio.open_connection(self.host, self.port)
            self._http = h11.Connection(h11.CLIENT)
        reader, writer = self._streams
        target = f"{path}?{urlencode(dict(params))}" if params else path
        request = h11.Request(method="GET", target=target, headers=self.headers)
        writer.write(self._http.send(request))
        writer.write(self._http.send(h11.EndOfMessage()))
        status, body = 0, bytearray()
        while True:
            event = self._http.next_event()
            if event is h11.NEED_DATA:
                self._http.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError(f"GET {target}: the server closed the connection")
        if self._http.our_state is h11.DONE and self._http.their_state is h11.DONE:
            self._http.start_next_cycle()  # kept alive; otherwise the next GET reconnects
        if status != 200:
            raise RuntimeError(f"GET {target} answered {status}: {bytes(body)[:200]!r}")
        return bytes(body)

    async def aclose(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None
