"""A loopback SMS gateway stand-in: privacyIDEA's HttpSMSProvider posts here.

Runs as a thread of the test process. Each request is kept as a `CapturedSms`;
tests wait for the one they expect against a deadline instead of sleeping. A
switch makes the gateway answer 503, so a test can watch privacyIDEA report a
gateway error.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class CapturedSms:
    phone: str
    text: str
    at: float


class SmsCapture:
    """Start with `start()`; `url` is the endpoint to give privacyIDEA."""

    def __init__(self) -> None:
        self._messages: list[CapturedSms] = []
        self._changed = threading.Condition()
        self.failing = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/sms"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def messages(self) -> list[CapturedSms]:
        with self._changed:
            return list(self._messages)

    def wait_for(
        self, match: Callable[[CapturedSms], bool], *, after: int = 0, timeout_s: float = 10.0
    ) -> CapturedSms:
        """The first message past index `after` that matches, waiting up to the deadline."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for message in self._messages[after:]:
                    if match(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching SMS within {timeout_s} s")
                self._changed.wait(left)

    def _record(self, body: dict[str, object]) -> None:
        with self._changed:
            self._messages.append(
                CapturedSms(str(body.get("phone", "")), str(body.get("text", "")), time.time())
            )
            self._changed.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if capture.failing:
                    self._answer(503, "gateway down")
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._answer(400, "not JSON")
                    return
                capture._record(body if isinstance(body, dict) else {})
                self._answer(200, "OK")

            def _answer(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the SMS text carries the code."""

        return Handler
