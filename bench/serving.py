"""`supportdesk serve` as a child process: start it, wait for it, stop or kill it by PID.

Shared by the load bench (bench/load.py) and the fault and contract tests
(tests/faults/, tests/contract/): they reach the service only over HTTP on
loopback, the way a kiosk does, and end only the processes they started.
Also: a scratch PostgreSQL database per run (created, then dropped), and the
TOTP codes an agent's own phone would show (read from the store, as
`supportdesk demo phone` does), spent at most once per 30-second step.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pyotp
from sqlalchemy import select
from sqlalchemy.engine import make_url

TOTP_STEP_S = 30
T = TypeVar("T")
SERVE = [sys.executable, "-m", "supportdesk", "serve"]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_supports_workers() -> bool:
    """Whether this `supportdesk serve` has a --workers option (issue 11 adds it)."""
    done = subprocess.run([*SERVE, "--help"], capture_output=True, text=True, timeout=60)
    return "--workers" in done.stdout


def sqlite_store(folder: Path) -> str:
    return f"sqlite:///{folder / 'store.sqlite3'}"


@dataclass
class Server:
    """One `supportdesk serve` child, in its own process group (so workers die with it)."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, deadline_s: float = 60.0) -> None:
        """Until /v1/health answers 200; fail at once if the process has died."""
        deadline = time.monotonic() + deadline_s
        with httpx.Client(base_url=self.url, timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"supportdesk serve exited with {self.process.returncode}:\n"
                        f"{self.log_tail()}"
                    )
                try:
                    if client.get("/v1/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"serve not ready in {deadline_s} s:\n{self.log_tail()}")
                time.sleep(0.05)  # polling interval while waiting for a state, not a timing

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown handlers run."""
        self._signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM (uvicorn shuts down cleanly), SIGKILL if it does not within grace_s."""
        if self.process.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def _signal(self, sig: signal.Signals) -> None:
        if self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)  # the group we created: this child and its own


def start_server(
    db_url: str,
    log_dir: Path,
    *,
    port: int | None = None,
    workers: int | None = None,
    env: Mapping[str, str] | None = None,
    name: str = "serve",
) -> Server:
    """Start `supportdesk serve --demo` on a store (seeded by it when empty)."""
    port = port or free_port()
    args = [*SERVE, "--host", "127.0.0.1", "--port", str(port), "--db", db_url, "--demo"]
    if workers is not None:
        args += ["--workers", str(workers)]
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    child_env = {**os.environ, **(env or {})}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            start_new_session=True,
        )
    return Server(process=process, port=port, log_path=log_path)


@contextmanager
def scratch_pg_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`; dropped afterwards."""
    base = make_url(server_url)
    name = f"{prefix}_{secrets.token_hex(4)}"

    async def run(sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(
            host=base.host,
            port=base.port,
            user=base.username,
            password=base.password,
            database=base.database or "postgres",
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_sync(run(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        run_sync(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_sync(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from sync code, on a thread of its own: callers may
    already be inside an event loop (a bench's main, an async test's fixture)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


async def read_agent_secrets(db_url: str) -> dict[str, str]:
    """Each agent's TOTP seed, as the agent's own phone holds it (never served by the API)."""
    from supportdesk.service.store.engine import make_engine
    from supportdesk.service.store.schema import agents

    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(agents.c.username, agents.c.totp_secret))
            return {str(name): str(secret) for name, secret in rows}
    finally:
        await engine.dispose()


@dataclass
class CodeBook:
    """The codes agents' phones show, each spent once: the service refuses a step used before.

    The service accepts the current step and one on either side, so an agent can
    sign in again within the same 30 s by using the next step's code.
    """

    secrets_by_agent: Mapping[str, str]
    last_step: dict[str, int] = field(default_factory=dict)

    def code(self, username: str, *, now: float | None = None) -> str:
        now_step = int(now if now is not None else time.time()) // TOTP_STEP_S
        step = max(now_step, self.last_step.get(username, -1) + 1)
        if step > now_step + 1:
            raise RuntimeError(f"{username} already used this step and the next one")
        self.last_step[username] = step
        return str(pyotp.TOTP(self.secrets_by_agent[username]).at(step * TOTP_STEP_S))


def sign_in_body(username: str, code: str, password: str = "demo") -> dict[str, str]:
    return {"username": username, "password": password, "code": code}


def request_ids(prefix: str) -> Iterator[str]:
    """X-Request-ID values the service echoes and writes into the audit entry."""
    n = 0
    while True:
        n += 1
        yield f"{prefix}-{n}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def stop_all(servers: Sequence[Server]) -> None:
    for server in servers:
        server.stop()
