"""Many kiosks at once: a bounded, self-stopping load on `supportdesk serve`, over loopback.

It seeds a store with the demo world plus --agents bench agents and --leads
bench leads, each agent with targets of its own (bench/world.py), starts
`supportdesk serve --demo` on it, signs every account in once, and runs two
phases of the desk's mix (bench/load_mix.py):

- think time: each person acts once every --think seconds (default 2 s);
- saturation: the same people with no think time (a closed loop).

For each phase it prints requests per second and p50/p95/p99 per operation;
429s are counted apart, as refusals by design, and kept out of nothing else.
At the end a lead reads the audit log back over the API: every acknowledged
change (2xx) must have exactly one entry (matched by X-Request-ID), no entry
may lack a request, and the chain must verify. Exit status 1 when it does not.

Why bench accounts: the demo world has three staff accounts, and a TOTP code
is accepted once per 30 s step (the step either side too, so the same agent
can sign in at most three times a minute). Fifty kiosks mean fifty accounts,
each signed in once, a session each; their seeds are read from the store, as
`supportdesk demo phone` reads the demo agents'.

Stores and processes: PostgreSQL when --pg-url (or SUPPORTDESK_TEST_PG_URL)
is given, in a scratch database created for the run and dropped after it;
else SQLite in a temporary folder. --workers N uses `serve --workers N` when
serve has that option, else starts N serve processes on N ports on the same
store and sends requests round-robin across them (said so in the output).
Texts are limited per second, not per hour, for the run
(SUPPORTDESK_SERVICE_SMS_*), since a bench resends to a few users far more
often than a real desk would. Everything it starts it stops, by PID; a hard
--timeout ends the run whatever happens.

    .venv/bin/python bench/load.py [--pg-url URL] [--workers 2] [--agents 50] [--leads 3]
        [--think 2] [--duration 60] [--saturation 60] [--timeout 900]

(`--pg-url ''` runs on SQLite even when SUPPORTDESK_TEST_PG_URL is set; `--duration 0` or
`--saturation 0` skips that phase.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger import (
    Attempt,
    Ledger,
    exactly_once_problems,
    head_seq,
    read_entries_after,
    verify_chain,
)
from bench.load_cpu import CpuSample, describe, postmaster_on, sample
from bench.load_http import RawHttp
from bench.load_mix import Desk, Pool
from bench.serving import (
    CodeBook,
    Server,
    read_agent_secrets,
    scratch_pg_database,
    serve_supports_workers,
    sign_in_body,
    sqlite_store,
    start_server,
)
from bench.world import BenchWorld, bench_world, seed_bench_store

SERVE_ENV = {
    "SUPPORTDESK_SERVICE_SMS_MIN_INTERVAL_S": "1",
    "SUPPORTDESK_SERVICE_SMS_PER_HOUR": "100000",
}


@contextmanager
def store(pg_url: str | None) -> Iterator[str]:
    if pg_url:
        with scratch_pg_database(pg_url, "sd_load") as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield sqlite_store(Path(folder))


def start_servers(
    url: str, workers: int, logs: Path, stack: AsyncExitStack
) -> tuple[list[Server], str]:
    """The serve processes and how they were started, in words for the report."""
    if workers > 1 and serve_supports_workers():
        server = start_server(url, logs, workers=workers, env=SERVE_ENV)
        stack.callback(server.stop)
        server.wait_ready(120)
        return [server], f"serve --workers {workers}"
    servers: list[Server] = []
    for n in range(workers):
        server = start_server(url, logs, env=SERVE_ENV, name=f"serve{n}")
        stack.callback(server.stop)
        server.wait_ready(120)  # one after another: the first checks the schema alone
        servers.append(server)
    if workers == 1:
        return servers, "1 serve process"
    return servers, (
        f"{workers} serve processes on ports {', '.join(str(s.port) for s in servers)}, "
        "requests round-robin (serve has no --workers option yet)"
    )


async def sign_in_everyone(
    bench: BenchWorld, book: CodeBook, ledger: Ledger, pool: Pool, seed: int
) -> list[Desk]:
    users = [t.user_id for plan in bench.agents for t in plan.all_users]
    names = [plan.username for plan in bench.agents]
    desks: list[Desk] = []

    async def one(username: str, **kwargs: object) -> None:
        attempt = await ledger.send(
            pool.client(),
            "sign_in",
            "POST",
            "/v1/agent/sessions",
            json=sign_in_body(username, book.code(username)),
        )
        if attempt.status != 201:
            raise SystemExit(f"{username} could not sign in: {attempt.status} {attempt.body}")
        rng = random.Random(f"{seed}-{username}")
        desks.append(Desk(username, attempt.body["token"], ledger, pool, rng, **kwargs))  # type: ignore[arg-type]

    await asyncio.gather(
        *(one(plan.username, targets=plan) for plan in bench.agents),
        *(
            one(name, users=users, agent_names=names, lead_index=n, leads=len(bench.leads))
            for n, name in enumerate(bench.leads)
        ),
    )
    return desks


async def run_phase(desks: list[Desk], seconds: float, think: float) -> tuple[list[Attempt], float]:
    """Every desk acts until the phase ends; with think time, one action every `think` s."""
    done: list[Attempt] = []
    lost: list[Attempt] = []
    started = time.perf_counter()
    end = started + seconds

    async def person(desk: Desk) -> None:
        if think:
            await asyncio.sleep(desk.rng.uniform(0, think))  # kiosks do not start in step
        while time.perf_counter() < end:
            began = time.perf_counter()
            try:
                attempt = await desk.act(desk.choose())
                attempt.at_s = began - started
                done.append(attempt)
            except httpx.HTTPError as exc:
                failed = Attempt(rid="-", op=f"lost:{type(exc).__name__}", at_s=began - started)
                lost.append(failed)
            if think:
                pause = desk.rng.uniform(0.5, 1.5) * think - (time.perf_counter() - began)
                await asyncio.sleep(max(0.0, min(pause, end - time.perf_counter())))

    await asyncio.gather(*(person(d) for d in desks))
    return done + lost, time.perf_counter() - started


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def report(
    title: str, attempts: list[Attempt], elapsed: float, cpu: CpuSample | None = None
) -> None:
    answered = [a for a in attempts if a.status is not None]
    refused_by_design = sum(1 for a in answered if a.status == 429)
    print(f"\n== {title} ==")
    print(
        f"  {len(answered) / elapsed:.1f} requests/s answered ({len(answered)} in {elapsed:.1f} s);"
        f" 429 refused by design: {refused_by_design}; lost: {len(attempts) - len(answered)}"
    )
    by_op: dict[str, list[Attempt]] = defaultdict(list)
    for a in answered:
        by_op[a.op].append(a)
    print(f"  {'operation':<18} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for op in sorted(by_op):
        times = sorted(a.elapsed_s * 1000 for a in by_op[op] if a.status != 429)
        statuses = Counter(a.status for a in by_op[op])
        shown = " ".join(f"{s}:{n}" for s, n in sorted(statuses.items()))
        print(
            f"  {op:<18} {len(by_op[op]):>6} {percentile(times, 50):>8.1f} "
            f"{percentile(times, 95):>8.1f} {percentile(times, 99):>8.1f}  {shown}"
        )
    slowest = sorted((a for a in answered if a.status != 429), key=lambda a: -a.elapsed_s)[:6]
    if slowest:
        # When the slowest were sent: together, something stalled the server for a moment.
        shown = ", ".join(f"{a.op} {a.elapsed_s * 1000:.0f} ms at {a.at_s:.1f} s" for a in slowest)
        print(f"  slowest: {shown}")
    errors = sum(1 for a in answered if (a.status or 0) >= 500)
    if errors:
        print(f"  server errors (5xx): {errors}")
    lost = Counter(a.op.removeprefix("lost:") for a in attempts if a.status is None)
    if lost:
        print(f"  lost (no answer): {dict(lost)}")
    if cpu is not None:
        print(describe(cpu, len(answered), elapsed))


async def bench(args: argparse.Namespace) -> int:
    world = bench_world(args.agents, args.leads)
    async with AsyncExitStack() as stack:
        url = stack.enter_context(store(args.pg_url))
        kind = "PostgreSQL" if args.pg_url else "SQLite"
        await seed_bench_store(url, world)
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        servers, how = start_servers(url, args.workers, logs, stack)
        print(f"{kind}, {how}; {args.agents} agents + {args.leads} leads; {os.cpu_count()} CPUs")
        people = len(world.agents) + args.leads
        limits = httpx.Limits(max_connections=people + 8, max_keepalive_connections=people + 8)
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=s.url, timeout=60, limits=limits)
            )
            for s in servers
        ]
        # The desks' own traffic goes through the light client (its CPU is the cores'
        # too); the lead's reads before and after the run through httpx.
        raw = [RawHttp(s.url, timeout=60) for s in servers]
        for client in raw:
            stack.push_async_callback(client.aclose)
        pool = Pool(raw)
        book = CodeBook(await read_agent_secrets(url))
        setup = Ledger(prefix="setup")
        lead_desk = await sign_in_everyone(
            BenchWorld(world.world, [], world.leads[:1]), book, setup, pool, args.seed
        )
        lead = lead_desk[0].headers
        start = await head_seq(clients[0], lead)
        ledger = Ledger(prefix="load")
        began = time.perf_counter()
        desks = await sign_in_everyone(world, book, ledger, pool, args.seed)
        report(
            "sign-in (every account once, all at once)",
            list(ledger.attempts.values()),
            time.perf_counter() - began,
        )
        groups = {s.pid for s in servers}
        database = postmaster_on(make_url(url).port) if args.pg_url else None
        if args.duration:
            before = sample(groups, database)
            attempts, elapsed = await run_phase(desks, args.duration, args.think)
            used = sample(groups, database) - before
            title = f"think time: one action per person every {args.think:g} s"
            report(title, attempts, elapsed, used)
        if args.saturation:
            before = sample(groups, database)
            attempts, elapsed = await run_phase(desks, args.saturation, 0.0)
            used = sample(groups, database) - before
            report("saturation: no think time", attempts, elapsed, used)
        exhausted = sum(d.exhausted for d in desks)
        if exhausted:
            print(f"\n  targets used up: {exhausted} actions became an account read instead")
        return await check(clients[0], lead, ledger, start)


async def check(http: httpx.AsyncClient, lead: dict[str, str], ledger: Ledger, start: int) -> int:
    entries = await read_entries_after(http, lead, start)
    problems = exactly_once_problems(ledger, entries)
    intact, summary = await verify_chain(http, lead)
    changes = sum(1 for a in ledger.acknowledged() if a.op != "sign_in" and a.op in _WRITE_OPS)
    print("\n== exactly once ==")
    print(f"  {changes} acknowledged changes, {len(entries)} entries written during the run")
    print(f"  problems: {len(problems)}")
    for problem in problems[:20]:
        print(f"    {problem}")
    print(f"  chain: {'intact' if intact else 'BROKEN'} ({summary})")
    return 0 if intact and not problems else 1


_WRITE_OPS = {"resolve_ticket", "remove_factor", "reset_mfa", "resend_sms", "approve"}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("SUPPORTDESK_TEST_PG_URL"))
    parser.add_argument("--workers", type=int, default=1, help="serve processes or workers")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--leads", type=int, default=3)
    parser.add_argument("--think", type=float, default=2.0, help="seconds between actions")
    parser.add_argument("--duration", type=float, default=60.0, help="think-time phase, s")
    parser.add_argument("--saturation", type=float, default=60.0, help="no-think phase, s")
    parser.add_argument("--timeout", type=float, default=900.0, help="hard limit, s")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        return await asyncio.wait_for(bench(args), timeout=args.timeout)
    except TimeoutError:
        print(f"stopped: the run took longer than --timeout {args.timeout:g} s", file=sys.stderr)
        return 2


def run() -> int:
    """On uvloop when it is installed (serve uses it too): the generator shares the cores
    with the service, so its own CPU per request counts against the throughput."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    return uvloop.run(main())


if __name__ == "__main__":
    sys.exit(run())
