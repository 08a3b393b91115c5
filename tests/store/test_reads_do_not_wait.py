"""Issue 9: reads never queue behind a write transaction on SQLite (the desk holds writes
open while it signs in or resends; `supportdesk demo phone` must answer meanwhile)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.phone import read_demo_phone
from supportdesk.service.store.engine import reading
from supportdesk.service.store.schema import audit_log

DEADLINE_S = 10
"""Far under the 30 s a read inside BEGIN IMMEDIATE would wait for the writer."""


async def test_a_read_answers_while_a_writer_holds_its_transaction(ctx: ServiceContext) -> None:
    async with ctx.engine.connect() as conn:
        before = (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()
    writing = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with ctx.engine.begin() as conn:
            await append_audit(
                conn, at=ctx.clock.now(), actor=Actor("t", "agent"), action="t", outcome="t"
            )
            writing.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await asyncio.wait_for(writing.wait(), DEADLINE_S)
    try:

        async def read() -> int:
            async with reading(ctx.engine) as conn:
                found = await conn.execute(select(func.count()).select_from(audit_log))
                return int(found.scalar_one())

        assert await asyncio.wait_for(read(), DEADLINE_S) == before  # the last commit
        phone = await asyncio.wait_for(
            read_demo_phone(ctx.engine, "demo-agent", ctx.clock.now()), DEADLINE_S
        )
        assert len(phone.code) == 6
        assert not task.done(), "the writer still holds its transaction"
    finally:
        release.set()
        await asyncio.wait_for(task, DEADLINE_S)
    async with reading(ctx.engine) as conn:
        after = (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()
    assert after == before + 1
