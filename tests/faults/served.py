"""`supportdesk serve` on a fresh bench store, one or more processes, for the probe tests.

Each probe talks HTTP to the real service the way an attacker or a bad client
would. Source addresses: every 127.x.y.z address is this machine's loopback,
so a client bound to 127.0.0.2 is, to the service, a different source than
one on 127.0.0.1 (no X-Forwarded-For trust needed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.serving import (
    CodeBook,
    Server,
    bearer,
    read_agent_secrets,
    run_sync,
    sign_in_body,
    start_server,
)
from bench.world import BenchWorld, bench_world, seed_bench_store
from tests.faults.stores import fresh_store
from tests.support import store_params

AGENTS = 8


@dataclass
class Served:
    kind: str
    db_url: str
    servers: list[Server]
    book: CodeBook
    bench: BenchWorld
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.servers[0].url

    def client(self, server: int = 0, source: str = "127.0.0.1") -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=source)
        return httpx.AsyncClient(
            base_url=self.servers[server].url, transport=transport, timeout=120
        )

    def agent(self, n: int) -> str:
        return self.bench.agents[n].username

    def token(self, username: str) -> dict[str, str]:
        """A session for this account, signed in once (a code is good once per step)."""
        if username not in self.tokens:
            with httpx.Client(base_url=self.url, timeout=60) as http:
                body = sign_in_body(username, self.book.code(username))
                answer = http.post("/v1/agent/sessions", json=body)
            assert answer.status_code == 201, answer.text
            self.tokens[username] = bearer(answer.json()["token"])
        return self.tokens[username]

    def lead(self) -> dict[str, str]:
        return self.token(self.bench.leads[0])

    def cpu_seconds(self) -> float:
        """CPU time used so far by every process of the serve groups (workers included)."""
        groups = {server.pid for server in self.servers}
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended while we looked
            if int(fields[2]) in groups:  # process group id
                total += (int(fields[11]) + int(fields[12])) / tick
        return total


def on_stores(*, fails_on: set[str], reason: str) -> list[Any]:
    """The store parameters for `served` (indirect), xfail-strict on the stores that fail today."""
    params = []
    for param in store_params():
        kind = param.values[0]
        marks = list(param.marks)
        if kind in fails_on:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(kind, id=param.id, marks=marks))
    return params


@contextmanager
def serving(
    kind: str, folder: Path, *, processes: int = 1, prefix: str = "sd_probe"
) -> Iterator[Served]:
    """A bench store of that kind with `processes` serve processes on it (stopped after)."""
    bench = bench_world(
        AGENTS,
        1,
        reset_users=1,
        removal_users=1,
        removable_factors=1,
        sms_users=1,
        resolve_tickets=3,
    )
    with fresh_store(kind, folder, prefix) as url:
        run_sync(seed_bench_store(url, bench))
        book = CodeBook(run_sync(read_agent_secrets(url)))
        servers: list[Server] = []
        try:
            for n in range(processes):
                server = start_server(url, folder / "logs", name=f"probe{n}")
                servers.append(server)
                server.wait_ready()
            yield Served(kind, url, servers, book, bench)
        finally:
            for server in servers:
                server.stop()
