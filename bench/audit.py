"""The audit log at scale: build a big log, then time what a team lead does with it.

For each store (SQLite always; PostgreSQL when a URL is given or
SUPPORTDESK_TEST_PG_URL is set) it seeds the demo world, appends --entries
entries spread over 90 days (the chain computed in Python, inserted in bulk),
and prints:

- page latency through the real API (signed in as demo-lead, in-process):
  the first page, a filtered page (one agent's resets over the last 7 days),
  a page filtered by user, and a deep page (keyset cursor near the oldest entry);
- export rows per second and memory: the CLI's direct export of the whole log to
  CSV and to JSON Lines, each in a child process so its peak RSS is its own (given
  above the child's baseline once imported and connected); plus one agent's
  entries exported over the API in chunks (JSON Lines and CSV), as the desk writes them;
- verify entries per second over the whole chain, beside a plain SHA-256 chain over
  the same stored entry bytes in the same run.

    .venv/bin/python bench/audit.py [--entries 1000000] [--pg-url URL] [--no-sqlite]

Not part of the test suite. The full million takes a few minutes per store.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import select, text

from supportdesk.api.audit import AuditFilter
from supportdesk.api.client import SupportDeskClient
from supportdesk.embedded import client_for
from supportdesk.rules.audit_chain import body_hash, canonical_json, entry_body
from supportdesk.service.clock import Clock
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.demo.seed import seed_world
from supportdesk.service.demo.world import demo_world
from supportdesk.service.ops.audit_verify import verify_all
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.store.audit_hourly import rebuild_hourly
from supportdesk.service.store.audit_verify import chain_rows
from supportdesk.service.store.engine import drop_schema, make_engine, sqlite_url
from supportdesk.service.store.schema import agents, audit_head, audit_log

END = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
"""The bench's frozen "now": the log ends here and "the last 7 days" is counted back from it."""
SPAN = timedelta(days=90)
BATCH = 20_000
RUNS = 30

AGENTS = ["demo-agent", "demo-agent2", *(f"agent-{n:02d}" for n in range(1, 31))]
ACTIONS = [
    ("agent.signin", 18),
    ("agent.signout", 6),
    ("ticket.resolve", 18),
    ("sms.resend", 12),
    ("totp.diagnose", 10),
    ("totp.reenrol", 4),
    ("mfa.reset", 8),
    ("password.reset", 2),
    ("factor.remove", 5),
    ("access_code.issue", 5),
    ("approval.request", 5),
    ("approval.approve", 4),
    ("approval.deny", 1),
    ("audit.export", 2),
]
OUTCOMES = [("success", 90), ("failed", 6), ("refused", 4)]
CHECKS = [["video call"], ["video call", "manager confirmed"], ["known device"], []]

EXPORT_CHILD = """
import asyncio, sys, time
from sqlalchemy import text
from supportdesk.api.audit import AuditFilter, render
from supportdesk.service.store.engine import make_engine
from supportdesk.service.ops.audit_log import iter_export


def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def main(url, out, fmt):
    engine = make_engine(url)
    async with engine.connect() as conn:  # connected and warm: the baseline
        await conn.execute(text("SELECT 1"))
    baseline = status_kib("VmRSS")
    rows = 0
    start = time.perf_counter()
    with open(out, "w", encoding="utf-8", newline="") as handle:
        if fmt == "csv":
            handle.write(render("csv", [], header=True))
        async for chunk, count, _last in iter_export(engine, AuditFilter(), fmt):
            handle.write(chunk)
            rows += count
    elapsed = time.perf_counter() - start
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (big) parent.
    peak = status_kib("VmHWM")
    await engine.dispose()
    print(rows, elapsed, baseline, peak)


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> list[str]:
    names = [name for name, _ in choices]
    weights = [weight for _, weight in choices]
    return rng.choices(names, weights=weights, k=BATCH)


# -- building the log -------------------------------------------------------------------------


async def open_store(url: str, fresh: bool) -> ServiceContext:
    settings = ServiceSettings(
        db_url=url, demo_mode=True, argon2_time_cost=1, argon2_memory_kib=8192
    )
    engine = make_engine(url)
    if fresh:
        await drop_schema(engine)
    ctx = await open_context(settings, clock=Clock(END), engine=engine)
    await seed_world(ctx.engine, demo_world(), ctx.passwords, ctx.clock.now())
    return ctx


async def build(ctx: ServiceContext, entries: int) -> float:
    """Append `entries` entries after the seed's, chained in Python, inserted in bulk."""
    rng = random.Random(6)
    async with ctx.engine.connect() as conn:
        head = (await conn.execute(select(audit_head.c.seq, audit_head.c.hash))).one()
    seq, prev = int(head.seq), str(head.hash)
    start = END - SPAN
    step = SPAN / entries
    postgres = ctx.engine.dialect.name == "postgresql"
    began = time.perf_counter()
    for first in range(0, entries, BATCH):
        count = min(BATCH, entries - first)
        actions = weighted(rng, ACTIONS)
        outcomes = weighted(rng, OUTCOMES)
        rows: list[dict[str, Any]] = []
        for i in range(count):
            seq += 1
            at = start + step * (first + i)
            action = actions[i]
            signin = action.startswith("agent.")
            fields: dict[str, Any] = {
                "seq": seq,
                "at": at.isoformat(),
                "actor": rng.choice(AGENTS),
                "actor_role": "agent",
                "action": action,
                "target_user": None if signin else f"u{rng.randrange(1000, 60000)}",
                "ticket_id": None if signin else f"T-{rng.randrange(1000, 99999)}",
                "reason": None if signin else "user lost their phone; identity checked",
                "verification": None if signin else canonical_json(rng.choice(CHECKS)),
                "outcome": outcomes[i],
                "detail": canonical_json({"n": first + i}),
                "request_id": f"{rng.getrandbits(64):016x}",
                "prev_hash": prev,
            }
            body = entry_body(fields)
            prev = body_hash(body)
            rows.append({**fields, "at": at, "hash": prev, "body": body})
        async with ctx.engine.begin() as conn:
            if postgres:
                raw = await conn.get_raw_connection()
                columns = [c.name for c in audit_log.columns if c.computed is None]
                await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                    "audit_log",
                    records=[tuple(row[c] for c in columns) for row in rows],
                    columns=columns,
                )
            else:
                await conn.execute(audit_log.insert(), rows)
    async with ctx.engine.begin() as conn:
        await conn.execute(audit_head.update().values(seq=seq, hash=prev))
        await rebuild_hourly(conn)  # what appends keep up one entry at a time
        await conn.execute(text("ANALYZE"))
    return time.perf_counter() - began


# -- measuring ----------------------------------------------------------------------------------


async def lead_client(ctx: ServiceContext) -> SupportDeskClient:
    async with ctx.engine.connect() as conn:
        secret = (
            await conn.execute(select(agents.c.totp_secret).where(agents.c.username == "demo-lead"))
        ).scalar_one()
    client = client_for(ctx, timeout_s=120)
    await client.sign_in("demo-lead", "demo", pyotp.TOTP(secret).at(ctx.clock.now()))
    return client


async def latency(call: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    for _ in range(3):
        await call()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def export_in_child(url: str, fmt: str) -> tuple[int, float, float, float, int]:
    """(rows, seconds, baseline MiB, peak MiB, file bytes): a child's own peak RSS, above
    its baseline once imported and connected."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"audit.{fmt}"
        done = subprocess.run(
            [sys.executable, "-c", EXPORT_CHILD, url, str(out), fmt],
            capture_output=True,
            text=True,
            check=True,
        )
        size = out.stat().st_size
    rows, elapsed, baseline, peak = done.stdout.split()
    return int(rows), float(elapsed), int(baseline) / 1024, int(peak) / 1024, size


async def plain_chain_and_verify(ctx: ServiceContext) -> None:
    """verify through the service, beside a plain SHA-256 chain over the same stored
    bytes (read first, only the hashing timed), in the same run."""
    hashing = 0.0
    count = 0
    after = 0
    prev = "0" * 64
    sha256 = hashlib.sha256
    while True:
        async with ctx.engine.connect() as conn:
            rows = await chain_rows(conn, after, 20_000)
        if not rows:
            break
        bodies = [(r[1], r[2]) for r in rows]
        began = time.perf_counter()
        for body, digest in bodies:
            if sha256(body).hexdigest() != digest:
                raise SystemExit("the bench's own log does not hash")
            prev = digest
        hashing += time.perf_counter() - began
        count += len(bodies)
        after = int(rows[-1][0])
    plain = count / hashing if hashing else 0.0
    began = time.perf_counter()
    steps = [step async for step in verify_all(ctx.engine, max_entries=500_000)]
    elapsed = time.perf_counter() - began
    verdict = steps[-1]
    rate = verdict.last_seq / elapsed
    print(
        f"  verify: {rate:,.0f} entries/s ({verdict.summary}, {elapsed:.1f} s); "
        f"{rate / plain:.0%} of the plain chain"
    )
    print(
        f"  plain SHA-256 chain over the same entry bytes: {plain:,.0f} entries/s "
        f"({count:,} entries, prev {prev[:8]}…)"
    )


async def bench(name: str, url: str, entries: int, fresh: bool, runs: int) -> None:
    print(f"\n== {name}: {entries:,} entries ==")
    ctx = await open_store(url, fresh)
    try:
        took = await build(ctx, entries)
        print(f"  build: {took:.1f} s ({entries / took:,.0f} entries/s, chain hashed in Python)")
        # The build may leave dirty pages for the kernel to write back on the cores the
        # reads below need; a desk's year of entries was written long before anyone
        # exports it, so they are flushed first (the time it took is printed).
        began = time.perf_counter()
        os.sync()
        print(f"  settled: the build's writes on disk after {time.perf_counter() - began:.1f} s")
        # As `supportdesk serve` does once started: what is loaded by now stays out of
        # every collection, so a sample times the read, not a walk of the bench's heap.
        gc.collect()
        gc.freeze()
        client = await lead_client(ctx)
        week = AuditFilter(agent="demo-agent2", action="reset", since=END - timedelta(days=7))
        cases: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("first page", lambda: client.audit_find(AuditFilter(), limit=100)),
            ("filtered page (agent, resets, 7 days)", lambda: client.audit_find(week, limit=100)),
            ("filtered page (one user)", lambda: client.audit_find(AuditFilter(user="u1234"))),
            (
                "filtered page (one agent)",
                lambda: client.audit_find(AuditFilter(agent="agent-07"), limit=100),
            ),
            (
                "filtered page (one action)",
                lambda: client.audit_find(AuditFilter(action="password.reset"), limit=100),
            ),
            (
                "filtered page (one ticket)",
                lambda: client.audit_find(AuditFilter(ticket="T-4242"), limit=100),
            ),
            (
                "deep page (cursor near the oldest)",
                lambda: client.audit_find(AuditFilter(), before=max(2, entries // 100), limit=100),
            ),
        ]
        for label, call in cases:
            median, p95 = await latency(call, runs)
            print(f"  {label:<40} median {median:7.1f} ms   p95 {p95:7.1f} ms")
        heavier: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            (
                "chart counts (14 days, all agents)",
                lambda: client.audit_counts(AuditFilter(), "UTC"),
            ),
            ("review queue (30 days, first page)", lambda: client.audit_review(zone="UTC")),
            ("review queue (30 days, every page)", lambda: client.audit_review_all(zone="UTC")),
        ]
        for label, call in heavier:
            median, p95 = await latency(call, max(5, runs // 6))
            print(f"  {label:<40} median {median:7.1f} ms   p95 {p95:7.1f} ms")

        for fmt, name in (("csv", "CSV"), ("jsonl", "JSON Lines")):
            rows, elapsed, baseline, peak, size = export_in_child(url, fmt)
            print(
                f"  export, whole log to {name} (direct): {rows / elapsed:,.0f} rows/s "
                f"({rows:,} rows in {elapsed:.1f} s, {size / 1e6:.0f} MB); peak memory "
                f"{peak - baseline:.0f} MiB above the baseline of {baseline:.0f} MiB"
            )
        for fmt, name in (("jsonl", "JSON Lines"), ("csv", "CSV")):
            # As the desk writes a file: each chunk's text as the service spelled it.
            began = time.perf_counter()
            got = 0
            agent = AuditFilter(agent="demo-agent2")
            async for _text, rows, _fraction in client.audit_export_text(agent, fmt):
                got += rows
            elapsed = time.perf_counter() - began
            print(
                f"  export, one agent over the API (chunks, {name}): {got / elapsed:,.0f} rows/s "
                f"({got:,} rows)"
            )
        await plain_chain_and_verify(ctx)
        await client.aclose()
    finally:
        await ctx.engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=RUNS, help="samples per latency figure")
    parser.add_argument("--pg-url", default=os.environ.get("SUPPORTDESK_TEST_PG_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = sqlite_url(Path(folder) / "bench.sqlite3")
            await bench("SQLite", url, args.entries, fresh=False, runs=args.runs)
    if args.pg_url:
        await bench("PostgreSQL", args.pg_url, args.entries, fresh=True, runs=args.runs)
    else:
        print("\nPostgreSQL skipped: give --pg-url or set SUPPORTDESK_TEST_PG_URL")


if __name__ == "__main__":
    asyncio.run(main())
