"""A messenger API on loopback that records what reaches it.

It behaves like a messenger that honours ``Idempotency-Key`` (our documented shape): a
repeated key gets the first answer and stores nothing new. Each request can be scripted
to fail first: answer a status, or store the reply and then drop the connection before
answering (the "answer was lost" case a retry must not turn into two replies).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Recorder:
    requests: list[Seen] = field(default_factory=list)
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Stored replies by idempotency key (or by request number without one)."""
    script: list[str] = field(default_factory=list)
    """What to do with the next requests: "503", "429", "401", "drop" ... then "ok"."""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with recorder.lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                recorder.requests.append(Seen("POST", self.path, headers, body))
                action = recorder.script.pop(0) if recorder.script else "ok"
                if action.isdigit():
                    self._answer(int(action), {"error": action}, retry_after="0")
                    return
                key = headers.get("idempotency-key") or f"request-{len(recorder.requests)}"
                stored = recorder.replies.setdefault(
                    key, {"id": f"msg-{len(recorder.replies) + 1}", "body": body}
                )
            if action == "drop":
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self._answer(201, {"id": stored["id"]})

        def _answer(self, status: int, data: dict[str, Any], retry_after: str = "") -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            if retry_after:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(raw)

    return Handler


def serve() -> Iterator[tuple[str, Recorder]]:
    """The base URL of a recording messenger API, and what it has recorded."""
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
