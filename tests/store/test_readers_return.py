"""A reader's connection goes back to the pool however its block ends: a result, an
error, or the request cancelled meanwhile (a kiosk that hangs up), on both stores.
`reading` closes it in the request's own task rather than in a shielded one of its own."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from supportdesk.service.context import ServiceContext
from supportdesk.service.store.engine import reading
from supportdesk.service.store.schema import users

DEADLINE_S = 10


def checked_out(ctx: ServiceContext) -> int:
    return int(ctx.engine.sync_engine.pool.checkedout())  # type: ignore[attr-defined]


@pytest.mark.parametrize("keyed", [False, True])
async def test_a_cancelled_reader_returns_its_connection(
    any_ctx: ServiceContext, keyed: bool
) -> None:
    before = checked_out(any_ctx)
    inside = asyncio.Event()

    async def read_then_wait() -> None:
        async with reading(any_ctx.engine, keyed=keyed) as conn:
            await conn.execute(select(func.count()).select_from(users))
            inside.set()
            await asyncio.Event().wait()  # the request is cancelled here

    task = asyncio.create_task(read_then_wait())
    await asyncio.wait_for(inside.wait(), DEADLINE_S)
    assert checked_out(any_ctx) == before + 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, DEADLINE_S)
    assert checked_out(any_ctx) == before
    async with reading(any_ctx.engine, keyed=keyed) as conn:  # and it still reads
        assert (await conn.execute(select(func.count()).select_from(users))).scalar_one() > 0


async def test_a_reader_whose_statement_fails_returns_its_connection(
    any_ctx: ServiceContext,
) -> None:
    before = checked_out(any_ctx)
    with pytest.raises(Exception, match="no_such_table"):
        async with reading(any_ctx.engine) as conn:
            await conn.execute(text("SELECT * FROM no_such_table"))
    assert checked_out(any_ctx) == before
    async with reading(any_ctx.engine) as conn:
        assert (await conn.execute(select(func.count()).select_from(users))).scalar_one() > 0
