"""`supportdesk serve --workers 2`: two processes on one port, each answering on its own.

To see that both answer, the test pauses one worker (SIGSTOP, a process it started) and
asks on fresh connections: the other takes every one; then the other way round. A
sign-in on one and a read on the other share the store (PostgreSQL, or SQLite with a
warning that writes queue on one file lock).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.serving import CodeBook, Server, read_agent_secrets, sign_in_body, start_server
from bench.world import seed_bench_store
from tests.faults.scenario import SERVE_ENV, small_world


def workers_of(server: Server) -> list[int]:
    """The worker processes uvicorn spawned for this serve (not its resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if parent == server.pid and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return sorted(found)


@contextmanager
def paused(pid: int) -> Iterator[None]:
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def fresh_connection_client(url: str) -> httpx.Client:
    """Every request on a new connection, so a paused worker holds none of them."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=url, timeout=20, limits=limits)


async def test_two_workers_each_answer_on_one_port(served_store: str, tmp_path: Path) -> None:
    bench = small_world(2)
    await seed_bench_store(served_store, bench)
    book = CodeBook(await read_agent_secrets(served_store))
    server = start_server(served_store, tmp_path / "logs", workers=2, env=SERVE_ENV)
    try:
        await asyncio.to_thread(server.wait_ready, 120)
        workers = workers_of(server)
        assert len(workers) == 2, workers
        user = bench.agents[0].sms_users[0].user_id
        with fresh_connection_client(server.url) as http:
            for n, (pause, other) in enumerate([workers, workers[::-1]]):
                with paused(pause):
                    agent = bench.agents[n].username
                    signed = http.post(
                        "/v1/agent/sessions", json=sign_in_body(agent, book.code(agent))
                    )
                    assert signed.status_code == 201, signed.text
                    token = {"Authorization": f"Bearer {signed.json()['token']}"}
                    for _ in range(3):
                        assert http.get(f"/v1/users/{user}", headers=token).status_code == 200
                assert other in workers_of(server)  # still running, and answering
        if served_store.startswith("sqlite"):
            assert "every write waits for the one write lock" in server.log_tail(200)
    finally:
        server.stop()
