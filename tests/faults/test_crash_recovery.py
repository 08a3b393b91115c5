"""SIGKILL the service in the middle of a write load, start it again on the same store.

Whatever the kill interrupted, the store must show each change with its audit
entry or neither: no change without its entry, no entry without its change,
the chain intact, and every write the service acknowledged still there. Then the
client does what a kiosk would: it sends each keyed write whose answer was lost
again, with the same Idempotency-Key; each is then applied exactly once, whether
the first try had committed before the kill or not.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bench.ledger import (
    Attempt,
    Ledger,
    exactly_once_problems,
    head_seq,
    read_entries_after,
    verify_chain,
)
from bench.serving import CodeBook, read_agent_secrets, start_server
from bench.world import BenchWorld, seed_bench_store
from tests.faults.scenario import (
    SERVE_ENV,
    AgentWork,
    LostWrite,
    sign_in,
    small_world,
    store_problems,
    write_until,
)

WRITERS = 6
KILL_AFTER_ACKS = 30
KEYED = {"remove_factor", "reset_mfa"}
"""Writes whose endpoint honours Idempotency-Key (recovery actions): safe to send again."""


async def test_sigkill_under_write_load_loses_and_half_applies_nothing(
    served_store: str, tmp_path: Path
) -> None:
    bench = small_world(WRITERS)
    await seed_bench_store(served_store, bench)
    book = CodeBook(await read_agent_secrets(served_store))
    ledger = Ledger(prefix="crash")
    first = start_server(served_store, tmp_path / "logs", env=SERVE_ENV, name="before")
    try:
        await asyncio.to_thread(first.wait_ready)
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
            # Before the starting head: this sign-in's entry is not among those checked.
            lead = await sign_in(http, Ledger(prefix="setup"), book, bench.leads[0])
            start = await head_seq(http, lead)
            tokens = [await sign_in(http, ledger, book, p.username) for p in bench.agents]
            acked: list[Attempt] = []
            lost: list[LostWrite] = []
            killed = asyncio.Event()

            async def count(attempt: Attempt) -> None:
                acked.append(attempt)
                if len(acked) == KILL_AFTER_ACKS:
                    await asyncio.to_thread(first.kill)  # the others are mid-request
                    killed.set()

            await asyncio.gather(
                *(
                    write_until(
                        http, ledger, AgentWork(p), t, lambda: not killed.is_set(), count, lost
                    )
                    for p, t in zip(bench.agents, tokens, strict=True)
                )
            )
        assert killed.is_set(), f"the load ended after {len(acked)} acknowledged writes"
        assert first.process.poll() is not None
        assert lost, "the kill cut no write off mid-request"
    finally:
        first.kill()

    second = start_server(served_store, tmp_path / "logs", env=SERVE_ENV, name="after")
    try:
        await asyncio.to_thread(second.wait_ready)
        async with httpx.AsyncClient(base_url=second.url, timeout=60) as http:
            lead = await sign_in(http, ledger, book, bench.leads[0])
            entries = await read_entries_after(http, lead, start)
            intact, summary = await verify_chain(http, lead)
            problems = exactly_once_problems(ledger, entries)
            problems += await store_problems(http, lead, bench, ledger, entries)
            assert intact, summary
            assert problems == []

            retried = await send_again(http, ledger, book, bench, lost)
            entries = await read_entries_after(http, lead, start)
            intact, summary = await verify_chain(http, lead)
            problems = exactly_once_problems(ledger, entries)
            problems += await store_problems(http, lead, bench, ledger, entries)
    finally:
        second.stop()

    writes = [a for a in ledger.attempts.values() if a.op != "sign_in"]
    assert intact, summary
    assert problems == []
    assert all(a.acknowledged for a in retried), [(a.op, a.status, a.body) for a in retried]
    assert len([a for a in writes if a.acknowledged]) >= KILL_AFTER_ACKS
    assert {a.op for a in writes if a.acknowledged} >= {"remove_factor", "resend_sms", "reset_mfa"}


async def send_again(
    http: httpx.AsyncClient,
    ledger: Ledger,
    book: CodeBook,
    bench: BenchWorld,
    lost: list[LostWrite],
) -> list[Attempt]:
    """Each lost keyed write, sent again by its agent (signed in afresh: the session
    survived, but a kiosk that lost its answer may as well), same key, same request id."""
    owners = {target.user_id: plan.username for plan in bench.agents for target in plan.all_users}
    tokens: dict[str, dict[str, str]] = {}
    retried = []
    for write in lost:
        if write.op not in KEYED:
            continue
        agent = owners[write.context["user"]]
        if agent not in tokens:
            tokens[agent] = await sign_in(http, ledger, book, agent)
        headers = {**tokens[agent], "Idempotency-Key": write.key}
        retried.append(
            await ledger.send(
                http,
                write.op,
                "POST",
                write.path,
                json=write.body,
                headers=headers,
                context=write.context,
                rid=write.rid,
            )
        )
    return retried
