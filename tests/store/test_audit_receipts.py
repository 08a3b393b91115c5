"""Receipts anchor the chain's head outside the store (issue 11), on SQLite and PostgreSQL.

Cutting the newest entries and rewriting the head row to match, deleting the head row,
or emptying the log and resetting the head all pass the chain walk on their own; a
receipt kept from before names each of them.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from supportdesk.api.audit import AuditReceipt
from supportdesk.api.client import SupportDeskClient
from supportdesk.rules.audit_chain import GENESIS_HASH
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_receipts import check_receipt, issue_receipt
from supportdesk.service.ops.audit_verify import verify_all
from supportdesk.service.store.schema import audit_head, audit_log
from tests.support import sign_in_as


@pytest.fixture
def key_file(any_ctx: ServiceContext, tmp_path: Path) -> Path:
    """The signing key outside the store (PostgreSQL has no store folder to sit beside)."""
    path = tmp_path / "keys" / "audit-receipt.key"
    any_ctx.settings = any_ctx.settings.model_copy(update={"audit_key_file": str(path)})
    return path


async def append(ctx: ServiceContext, count: int) -> int:
    seq = 0
    for i in range(count):
        async with ctx.engine.begin() as conn:
            seq = await append_audit(
                conn,
                at=ctx.clock.now(),
                actor=Actor("demo-agent", "agent"),
                action="mfa.reset",
                outcome="success",
                target_user=f"u10{i:02d}",
            )
    return seq


async def chain_intact(ctx: ServiceContext) -> bool:
    steps = [step async for step in verify_all(ctx.engine)]
    return steps[-1].intact


async def cut_after(ctx: ServiceContext, seq: int) -> None:
    """What a forger with the store does: drop entries after `seq`, rewrite the head."""
    async with ctx.engine.begin() as conn:
        kept = (
            await conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == seq))
        ).scalar_one()
        await conn.execute(delete(audit_log).where(audit_log.c.seq > seq))
        await conn.execute(update(audit_head).values(seq=seq, hash=kept))


async def test_a_receipt_of_an_untouched_log_holds(any_ctx: ServiceContext, key_file: Path) -> None:
    head = await append(any_ctx, 3)
    receipt = await issue_receipt(any_ctx)
    assert receipt.seq == head
    await append(any_ctx, 2)  # the log growing after a receipt is no harm
    found = await check_receipt(any_ctx, receipt)
    assert found.holds and found.verdict == "holds"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "PRIVATE" not in receipt.model_dump_json()


async def test_truncation_after_a_receipt_is_named(any_ctx: ServiceContext, key_file: Path) -> None:
    head = await append(any_ctx, 5)
    receipt = await issue_receipt(any_ctx)
    await cut_after(any_ctx, head - 3)
    assert await chain_intact(any_ctx)  # the walk alone cannot tell
    found = await check_receipt(any_ctx, receipt)
    assert (found.holds, found.verdict) == (False, "truncated")
    assert f"entries {head - 2}..{head}" in found.explanation


async def test_truncated_and_regrown_is_named_as_rewritten(
    any_ctx: ServiceContext, key_file: Path
) -> None:
    head = await append(any_ctx, 4)
    receipt = await issue_receipt(any_ctx)
    await cut_after(any_ctx, head - 2)
    await append(any_ctx, 3)  # new entries take the old seqs
    found = await check_receipt(any_ctx, receipt)
    assert (found.holds, found.verdict) == (False, "rewritten")
    assert f"entry {head} is not the entry the receipt recorded" in found.explanation


async def test_a_deleted_head_row_is_named(any_ctx: ServiceContext, key_file: Path) -> None:
    await append(any_ctx, 2)
    receipt = await issue_receipt(any_ctx)
    async with any_ctx.engine.begin() as conn:
        await conn.execute(delete(audit_head))
    found = await check_receipt(any_ctx, receipt)
    assert (found.holds, found.verdict) == (False, "head_missing")
    assert not await chain_intact(any_ctx)


async def test_an_emptied_log_is_named(any_ctx: ServiceContext, key_file: Path) -> None:
    head = await append(any_ctx, 2)
    receipt = await issue_receipt(any_ctx)
    async with any_ctx.engine.begin() as conn:
        await conn.execute(delete(audit_log))
        await conn.execute(update(audit_head).values(seq=0, hash=GENESIS_HASH))
    assert await chain_intact(any_ctx)
    found = await check_receipt(any_ctx, receipt)
    assert (found.holds, found.verdict) == (False, "emptied")
    assert f"records entry {head}" in found.explanation


async def test_a_receipt_not_signed_by_this_service_proves_nothing(
    any_ctx: ServiceContext, key_file: Path
) -> None:
    await append(any_ctx, 2)
    receipt = await issue_receipt(any_ctx)
    moved = receipt.model_copy(update={"seq": receipt.seq - 1})
    assert (await check_receipt(any_ctx, moved)).verdict == "forged"
    key_file.unlink()  # another key signs from now on
    assert (await check_receipt(any_ctx, receipt)).verdict == "forged"


async def test_a_lead_takes_and_checks_a_receipt_over_the_api(
    any_ctx: ServiceContext, any_client: SupportDeskClient, key_file: Path
) -> None:
    head = await append(any_ctx, 3)
    await sign_in_as(any_client, any_ctx, "demo-lead")
    receipt = await any_client.audit_receipt()
    assert receipt.seq >= head
    assert (await any_client.audit_check_receipt(receipt)).holds
    async with any_ctx.engine.begin() as conn:
        last = (await conn.execute(select(func.max(audit_log.c.seq)))).scalar_one()
    await cut_after(any_ctx, last - 2)
    found = await any_client.audit_check_receipt(AuditReceipt.model_validate(receipt))
    assert (found.holds, found.verdict) == (False, "truncated")
    assert found.summary.startswith(f"receipt of entry {receipt.seq}")
