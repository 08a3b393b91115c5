"""What each operation of the load mix costs inside one service process: SQL statements
and CPU per request, and where the CPU goes (cProfile).

bench/load_cost.py measures a real `supportdesk serve` from outside; this runs the same
app in-process (httpx's ASGI transport, no sockets, no uvicorn) on a seeded bench store,
so every SQL statement a request sends can be counted and one operation profiled. The
CPU figure includes the in-process client's share and no HTTP parsing: compare it with
itself, before and after a change.

    .venv/bin/python bench/load_profile.py [--pg-url URL] [--requests 100]
        [--ops resend_sms,approve] [--profile resend_sms] [--top 30] [--sql resend_sms]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger import Ledger
from bench.load import store
from bench.load_mix import AGENT_MIX, LEAD_MIX, Desk, Pool
from bench.serving import CodeBook, read_agent_secrets, sign_in_body
from bench.world import BenchWorld, bench_world, seed_bench_store

ENV = {
    "SUPPORTDESK_SERVICE_SMS_MIN_INTERVAL_S": "0",
    "SUPPORTDESK_SERVICE_SMS_PER_HOUR": "1000000",
}
LEAD_OPS = set(LEAD_MIX) - set(AGENT_MIX)


async def measure(args: argparse.Namespace) -> None:
    os.environ.update(ENV)
    from supportdesk.embedded import served_app
    from supportdesk.service.settings import ServiceSettings

    world = bench_world(4, 1)
    with store(args.pg_url) as url:
        await seed_bench_store(url, world)
        book = CodeBook(await read_agent_secrets(url))
        app = served_app(ServiceSettings(db_url=url, demo_mode=True))
        async with app.router.lifespan_context(app):  # opens the context, as under uvicorn
            from supportdesk.triage import preload

            await asyncio.to_thread(preload)  # the served process's warm-up, over first
            await _run(args, app, world, book)


async def _run(args: argparse.Namespace, app: Any, world: BenchWorld, book: CodeBook) -> None:
    ctx = app.state.ctx
    statements: list[str] = []

    from sqlalchemy import event

    @event.listens_for(ctx.engine.sync_engine, "before_cursor_execute")
    def _count(_c: Any, _cur: Any, sql: str, *_rest: Any) -> None:
        statements.append(sql)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        pool = Pool([http])
        ledger = Ledger(prefix="prof")
        desks: list[Desk] = []
        for plan in world.agents:
            desks.append(await _desk(http, book, ledger, pool, plan.username, targets=plan))
        users = [t.user_id for plan in world.agents for t in plan.all_users]
        names = [plan.username for plan in world.agents]
        lead = await _desk(http, book, ledger, pool, world.leads[0], users=users, agent_names=names)
        ops = args.ops.split(",") if args.ops else [*AGENT_MIX, *LEAD_OPS]
        print(f"{'operation':<18} {'stmts/req':>9} {'CPU ms/req':>10}  statuses")
        rng = random.Random(1)
        for op in ops:
            actors = [lead] if op in LEAD_OPS else desks
            for _ in range(5):  # warm
                await rng.choice(actors).act(op)
            profiler = cProfile.Profile() if op == args.profile else None
            shown: list[str] = []
            statuses: Counter[int | None] = Counter()
            used = 0.0
            count = 0
            for n in range(args.requests):
                if op == "approve":  # something to approve, filed outside the figures
                    await _file_reset(desks, rng)
                before = len(statements)
                began = time.process_time()
                if profiler:
                    profiler.enable()
                attempt = await rng.choice(actors).act(op)
                if profiler:
                    profiler.disable()
                used += time.process_time() - began
                count += len(statements) - before
                statuses[attempt.status] += 1
                if op == args.sql and n == args.requests // 2:
                    shown = statements[before:]
            cpu = used * 1000 / args.requests
            per = count / args.requests
            told = " ".join(f"{s}:{c}" for s, c in sorted(statuses.items(), key=str))
            print(f"{op:<18} {per:>9.1f} {cpu:>10.2f}  {told}")
            for sql in shown:
                print("    " + " ".join(sql.split())[:160])
            if profiler:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
                stats.print_stats(args.top)
                if args.callers:
                    stats.print_callers(args.callers)
                print(out.getvalue())


async def _desk(
    http: httpx.AsyncClient,
    book: CodeBook,
    ledger: Ledger,
    pool: Pool,
    username: str,
    **kwargs: Any,
) -> Desk:
    answer = await http.post("/v1/agent/sessions", json=sign_in_body(username, book.code(username)))
    answer.raise_for_status()
    return Desk(username, answer.json()["token"], ledger, pool, random.Random(username), **kwargs)


async def _file_reset(desks: list[Desk], rng: random.Random) -> None:
    """One reset filed for a lead (a reset user is sensitive after the first reset)."""
    desk = rng.choice(desks)
    desk.pending.clear()
    await desk.act("reset_mfa")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("SUPPORTDESK_TEST_PG_URL"))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--ops", default="", help="comma-separated operations (default: all)")
    parser.add_argument("--profile", default="", help="cProfile this operation")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--callers", default="", help="who calls functions matching this")
    parser.add_argument("--sql", default="", help="print one request's statements of this op")
    args = parser.parse_args()
    asyncio.run(measure(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
