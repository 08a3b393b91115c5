"""Verify reads batches ahead of the hashing (on PostgreSQL two, assuming seqs without
gaps): in small batches, with a row deleted, edited or the newest ones cut off, a
stretch says exactly what one big batch says, on both stores."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.audit import VerifyStep
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_verify import verify_stretch
from supportdesk.service.store.schema import audit_log
from tests.store.audit_entries import fill

Tamper = Callable[[AsyncConnection, list[int]], Awaitable[object]]


async def _nothing(conn: AsyncConnection, seqs: list[int]) -> None:
    return None


async def _delete_one(conn: AsyncConnection, seqs: list[int]) -> None:
    await conn.execute(delete(audit_log).where(audit_log.c.seq == seqs[5]))


async def _edit_one(conn: AsyncConnection, seqs: list[int]) -> None:
    await conn.execute(
        update(audit_log).where(audit_log.c.seq == seqs[8]).values(target_user="u9999")
    )


async def _cut_the_newest(conn: AsyncConnection, seqs: list[int]) -> None:
    await conn.execute(delete(audit_log).where(audit_log.c.seq >= seqs[-3]))


def said(step: VerifyStep) -> tuple[object, ...]:
    broken = step.first_break
    where = (broken.seq, broken.kind, broken.explanation) if broken is not None else None
    return step.checked, step.last_seq, step.done, where


@pytest.mark.parametrize(
    "tamper",
    [_nothing, _delete_one, _edit_one, _cut_the_newest],
    ids=["intact", "a row deleted", "a row edited", "the newest cut off"],
)
async def test_small_batches_read_ahead_say_what_one_batch_says(
    any_ctx: ServiceContext, tamper: Tamper
) -> None:
    seqs = await fill(any_ctx)
    async with any_ctx.engine.begin() as conn:
        await tamper(conn, seqs)
    whole = await verify_stretch(any_ctx.engine, max_entries=10_000)
    for batch in (1, 3, 4, 7):
        assert said(await verify_stretch(any_ctx.engine, max_entries=10_000, batch=batch)) == said(
            whole
        ), batch
    if tamper is _nothing:
        assert whole.done and whole.first_break is None
    else:
        assert whole.first_break is not None


async def test_a_stretch_stops_at_its_length_and_resumes_where_it_stopped(
    any_ctx: ServiceContext,
) -> None:
    seqs = await fill(any_ctx)
    first = await verify_stretch(any_ctx.engine, max_entries=10, batch=3)
    assert first.checked == 10 and not first.done
    rest = await verify_stretch(
        any_ctx.engine, first.last_seq, first.last_hash, max_entries=10_000, batch=3
    )
    assert rest.done and rest.first_break is None and rest.last_seq == seqs[-1]
    assert first.checked + rest.checked == seqs[-1]
