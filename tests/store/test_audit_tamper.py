"""Tampering directly in the database, on SQLite and PostgreSQL: verify names the first
bad entry and says how the chain broke (edited, missing, reordered)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from supportdesk.api.audit import VerifyStep
from supportdesk.api.client import SupportDeskClient
from supportdesk.rules.audit_chain import entry_hash
from supportdesk.service.audit import Actor, append_audit, row_to_chain_fields
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_log import verify_all
from supportdesk.service.store.schema import audit_log
from tests.support import sign_in_as

ENTRIES = 12


async def fill(ctx: ServiceContext) -> list[int]:
    """A dozen resets after the demo world's own entries; returns their seqs."""
    seqs = []
    for i in range(ENTRIES):
        async with ctx.engine.begin() as conn:
            seqs.append(
                await append_audit(
                    conn,
                    at=ctx.clock.now(),
                    actor=Actor("demo-agent", "agent"),
                    action="mfa.reset",
                    outcome="success",
                    target_user=f"u10{i:02d}",
                    reason="lost phone",
                    verification=["video call"],
                )
            )
    return seqs


async def verdict(ctx: ServiceContext, max_entries: int = 5) -> VerifyStep:
    """The service's own verification, in short stretches so resuming is exercised."""
    steps = [step async for step in verify_all(ctx.engine, max_entries=max_entries)]
    return steps[-1]


async def verdict_over_the_api(client: SupportDeskClient, ctx: ServiceContext) -> VerifyStep:
    await sign_in_as(client, ctx, "demo-lead")
    steps = [step async for step in client.audit_verify(max_entries=4)]
    assert len(steps) > 1  # it really resumed
    return steps[-1]


async def row(ctx: ServiceContext, seq: int) -> dict[str, Any]:
    async with ctx.engine.connect() as conn:
        found = (
            (await conn.execute(select(audit_log).where(audit_log.c.seq == seq))).mappings().one()
        )
    return dict(found)


async def test_an_untouched_log_is_intact(any_ctx: ServiceContext) -> None:
    seqs = await fill(any_ctx)
    found = await verdict(any_ctx)
    assert found.intact and found.done
    assert found.summary == f"intact, {seqs[-1]} entries"


async def test_an_edited_field_is_named(
    any_ctx: ServiceContext, any_client: SupportDeskClient
) -> None:
    seqs = await fill(any_ctx)
    victim = seqs[6]
    async with any_ctx.engine.begin() as conn:
        await conn.execute(
            update(audit_log).where(audit_log.c.seq == victim).values(target_user="u9999")
        )
    for found in (await verdict(any_ctx), await verdict_over_the_api(any_client, any_ctx)):
        assert found.first_break is not None
        assert (found.first_break.seq, found.first_break.kind) == (victim, "edited")
        assert found.summary.startswith(f"broken at entry {victim} (edited)")


async def test_a_deleted_row_is_named(any_ctx: ServiceContext) -> None:
    seqs = await fill(any_ctx)
    victim = seqs[3]
    async with any_ctx.engine.begin() as conn:
        await conn.execute(delete(audit_log).where(audit_log.c.seq == victim))
    found = await verdict(any_ctx)
    assert found.first_break is not None
    assert found.first_break.kind == "missing"
    assert found.first_break.seq == victim + 1
    assert f"entries {victim}..{victim} are not in the log" in found.first_break.explanation


async def test_two_swapped_rows_are_named_as_reordered(
    any_ctx: ServiceContext, any_client: SupportDeskClient
) -> None:
    seqs = await fill(any_ctx)
    first, second = seqs[4], seqs[5]
    a, b = await row(any_ctx, first), await row(any_ctx, second)
    async with any_ctx.engine.begin() as conn:  # swap contents, each row keeps its seq
        for target, source in ((first, b), (second, a)):
            await conn.execute(
                update(audit_log)
                .where(audit_log.c.seq == target)
                .values({k: v for k, v in source.items() if k != "seq"})
            )
    for found in (await verdict(any_ctx), await verdict_over_the_api(any_client, any_ctx)):
        assert found.first_break is not None
        assert (found.first_break.seq, found.first_break.kind) == (first, "reordered")
        assert f"written as entry {second}" in found.first_break.explanation


async def test_deleting_the_newest_entries_is_caught_by_the_head(any_ctx: ServiceContext) -> None:
    seqs = await fill(any_ctx)
    async with any_ctx.engine.begin() as conn:
        await conn.execute(delete(audit_log).where(audit_log.c.seq >= seqs[-2]))
    found = await verdict(any_ctx)
    assert found.first_break is not None
    assert (found.first_break.seq, found.first_break.kind) == (seqs[-2], "missing")
    assert f"{seqs[-2]}..{seqs[-1]}" in found.first_break.explanation


async def test_a_forger_who_rehashes_an_entry_still_breaks_the_next_link(
    any_ctx: ServiceContext,
) -> None:
    seqs = await fill(any_ctx)
    victim = seqs[2]
    forged = row_to_chain_fields(await row(any_ctx, victim))
    forged["outcome"] = "refused"
    async with any_ctx.engine.begin() as conn:
        await conn.execute(
            update(audit_log)
            .where(audit_log.c.seq == victim)
            .values(outcome="refused", hash=entry_hash(forged))
        )
    found = await verdict(any_ctx)
    assert found.first_break is not None
    assert found.first_break.seq == victim + 1
    assert found.first_break.kind == "reordered"
    assert f"does not follow entry {victim}" in found.first_break.explanation
