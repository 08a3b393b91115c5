"""What one request costs the service, one at a time: CPU per request by operation.

bench/load.py measures many kiosks at once, where a shared machine's other jobs decide most
of the latency. This asks one `supportdesk serve` (one process, PostgreSQL or SQLite) for
the same few reads and a write, one request after another, and prints the CPU time the
serve process and the PostgreSQL server spent per request, read from /proc: the cost the
design decides, which moves far less with the machine's load than latency does.

    .venv/bin/python bench/load_cost.py [--pg-url URL] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import store
from bench.load_cpu import postmaster_on, sample
from bench.serving import CodeBook, read_agent_secrets, sign_in_body, start_server
from bench.world import bench_world, seed_bench_store

SERVE_ENV = {
    "SUPPORTDESK_SERVICE_SMS_MIN_INTERVAL_S": "0",
    "SUPPORTDESK_SERVICE_SMS_PER_HOUR": "1000000",
}


async def measure(args: argparse.Namespace) -> None:
    world = bench_world(1, 1)
    plan = world.agents[0]
    user, ticket = plan.sms_users[0].user_id, plan.sms_users[0].ticket_id
    with store(args.pg_url) as url, tempfile.TemporaryDirectory() as logs:
        await seed_bench_store(url, world)
        book = CodeBook(await read_agent_secrets(url))
        server = start_server(url, Path(logs), env=SERVE_ENV)
        try:
            await asyncio.to_thread(server.wait_ready, 120)
            postmaster = postmaster_on(make_url(url).port) if args.pg_url else None
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                signed = await http.post(
                    "/v1/agent/sessions", json=sign_in_body(plan.username, book.code(plan.username))
                )
                signed.raise_for_status()
                headers = {"Authorization": f"Bearer {signed.json()['token']}"}
                calls = [
                    ("open_account", "GET", f"/v1/users/{user}", None),
                    ("list_factors", "GET", f"/v1/users/{user}/sms", None),
                    ("read_ticket", "GET", f"/v1/tickets/{ticket}", None),
                    ("search_users", "GET", "/v1/users?q=bench&limit=20", None),
                    ("resend_sms", "POST", f"/v1/users/{user}/sms/resend", {"ticket_id": ticket}),
                ]
                kind = "PostgreSQL" if args.pg_url else "SQLite"
                print(f"{kind}, one serve process, {args.requests} requests each, one at a time")
                print(f"  {'operation':<14} {'serve ms':>9} {'database ms':>12} {'wall ms':>8}")
                for op, method, path, body in calls:
                    for _ in range(10):  # warm: statement caches, pooled connections
                        (
                            await http.request(method, path, json=body, headers=headers)
                        ).raise_for_status()
                    before = sample({server.pid}, postmaster)
                    began = time.perf_counter()
                    for _ in range(args.requests):
                        answer = await http.request(method, path, json=body, headers=headers)
                        answer.raise_for_status()
                    wall = time.perf_counter() - began
                    used = sample({server.pid}, postmaster) - before
                    per = 1000.0 / args.requests
                    database = f"{used.database_s * per:>12.2f}" if postmaster else f"{'-':>12}"
                    print(f"  {op:<14} {used.serve_s * per:>9.2f} {database} {wall * per:>8.2f}")
        finally:
            server.stop()
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("SUPPORTDESK_TEST_PG_URL"))
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    asyncio.run(measure(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
