"""The embedded demo service in a child process, reached over a Unix socket.

Started at launch, before the desk's first frame, so the service's imports (FastAPI,
SQLAlchemy, the routers) run on the other core while the desk paints, and none of it
lives in the desk's memory. The desk still reaches it only over HTTP through its api
client, as it reaches a remote service.

The child ends with the desk: `stop()` (called when the desk unmounts, and at
interpreter exit) closes its stdin and waits; if the desk dies without stopping it,
the child sees that pipe close and ends by itself.

This module is imported by the entry point before anything else: it stays light
(asyncio, the client and httpx load after the child is started).
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from supportdesk.api.client import SupportDeskClient

CHILD_MODULE = "supportdesk.embedded_child"
CLIENT = "supportdesk.api.client"
LABEL = "demo · SQLite"
START_TIMEOUT_S = 120.0
"""The first start seeds the demo world, which takes a while on a busy machine."""
STOP_GRACE_S = 5.0
LOG_NAME = "service.log"
"""The child's stderr, beside its socket (the child removes both when it ends)."""


def supported() -> bool:
    """Unix sockets (and a pipe the event loop can watch): not on Windows, where the
    desk runs the service in its own process as it did before."""
    return hasattr(socket, "AF_UNIX") and sys.platform != "win32"


class ServiceStartError(RuntimeError):
    """The child could not start the service; the message is for the agent."""


class EmbeddedService:
    """One child process serving the demo store, and the folder holding its socket."""

    def __init__(self, process: subprocess.Popen[bytes], folder: Path) -> None:
        self.process = process
        self.folder = folder
        self.socket_path = folder / "service.sock"
        self.log_path = folder / LOG_NAME
        self._ready: bool | None = None
        self._error: str | None = None

    @classmethod
    def start(cls, data_dir: Path | None = None) -> EmbeddedService:
        """Spawn the child now (it takes a few milliseconds; it starts up on its own)."""
        folder = Path(tempfile.mkdtemp(prefix="supportdesk-"))  # mode 0700: ours only
        command = [sys.executable, "-m", CHILD_MODULE, "--socket", str(folder / "service.sock")]
        if data_dir is not None:
            command += ["--data-dir", str(data_dir)]
        with open(folder / LOG_NAME, "wb") as log:
            # stderr goes to a file: nothing the child says may land on the desk's screen.
            # Its own session: the terminal's signals (hang-up, Ctrl+Z) are the desk's to
            # handle; the child ends when its stdin closes.
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        service = cls(process, folder)
        atexit.register(service.stop)
        return service

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def usable(self) -> bool:
        """Neither failed to start nor ended since: worth connecting to."""
        return self._ready is not False and self.running()

    async def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Wait for the child's one-line report; raise ServiceStartError with its reason."""
        import asyncio

        if self._ready is None:
            stdout = self.process.stdout
            assert stdout is not None
            try:
                line = await asyncio.wait_for(asyncio.to_thread(stdout.readline), timeout_s)
            except TimeoutError:
                self._ready, self._error = False, f"it did not start within {timeout_s:.0f} s"
            else:
                self._ready, self._error = self._read_report(line)
        if not self._ready:
            raise ServiceStartError(self._error or "it ended while starting")

    def _read_report(self, line: bytes) -> tuple[bool, str | None]:
        import json

        with contextlib.suppress(ValueError):
            report = json.loads(line)
            if isinstance(report, dict):
                if report.get("ready") is True:
                    return True, None
                if isinstance(report.get("error"), str):
                    return False, report["error"]
        status = self.process.wait()
        return False, f"it ended while starting (exit status {status}){self._last_words()}"

    def _last_words(self) -> str:
        """The last line the child wrote to its log (a traceback's last line is its
        message), so an unexpected failure still says something useful."""
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        last = next((line.strip() for line in reversed(lines) if line.strip()), "")
        return f": {last[:200]}" if last else ""

    async def client(self, timeout_s: float = 10.0) -> SupportDeskClient:
        """A client over the child's socket, once the child reports ready; the client's
        own imports (httpx, the wire models, what its first request loads) load in a
        thread meanwhile."""
        import asyncio

        loading = asyncio.ensure_future(asyncio.to_thread(_load_client))
        try:
            await self.wait_ready()
        finally:
            await loading
        return self._make_client(timeout_s)

    def _make_client(self, timeout_s: float) -> SupportDeskClient:
        import ssl

        import httpx

        from supportdesk.api.client import SupportDeskClient

        # Plain HTTP over the socket: TLS never happens. An empty context (it trusts no
        # one) spares loading the CA bundle, which costs more than the rest of this.
        unused_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return SupportDeskClient(
            "http://embedded.supportdesk",
            transport=httpx.AsyncHTTPTransport(uds=str(self.socket_path), verify=unused_tls),
            timeout=httpx.Timeout(timeout_s, connect=5.0),
            label=LABEL,
        )

    def stop(self) -> None:
        """End the child (stdin closed, then SIGTERM, then SIGKILL) and remove its folder."""
        process = self.process
        if process.poll() is None:
            _close(process.stdin)
            try:
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        _close(process.stdin)
        _close(process.stdout)
        shutil.rmtree(self.folder, ignore_errors=True)
        atexit.unregister(self.stop)


def _load_client() -> None:
    """The client's modules and those its first request would load on the way (the
    transport's httpcore and h11, anyio's asyncio backend): about 80 ms of CPU that
    would otherwise come after the service is ready, on the way to the first answer."""
    import importlib

    importlib.import_module(CLIENT)
    import anyio
    import httpcore  # noqa: F401  (the transport imports it when it is made)

    anyio.run(anyio.sleep, 0)  # a throwaway loop in this thread loads the backend


def _close(stream: IO[bytes] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError):
            stream.close()
