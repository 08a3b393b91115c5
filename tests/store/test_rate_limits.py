"""Rate limits hold when two workers ask at the same moment, on both stores."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from supportdesk.service.context import ServiceContext
from supportdesk.service.store.ratelimit import Limit, take


async def test_concurrent_requests_get_exactly_the_allowed_count(any_ctx: ServiceContext) -> None:
    limits = [Limit(count=2, window=timedelta(minutes=1), description="2 a minute")]
    now = any_ctx.clock.now()

    async def attempt() -> tuple[int, Limit] | None:
        async with any_ctx.engine.begin() as conn:
            outcome = await take(conn, "test:bucket", now, limits)
            await asyncio.sleep(0)  # let the others try while this transaction is open
            return outcome

    outcomes = await asyncio.gather(*(attempt() for _ in range(6)))
    assert sum(o is None for o in outcomes) == 2
    waits = [o[0] for o in outcomes if o is not None]
    assert all(50 <= w <= 61 for w in waits)


async def test_the_window_slides(any_ctx: ServiceContext) -> None:
    limits = [Limit(count=1, window=timedelta(seconds=30), description="one per 30 s")]
    now = any_ctx.clock.now()
    async with any_ctx.engine.begin() as conn:
        assert await take(conn, "test:slide", now, limits) is None
        refused = await take(conn, "test:slide", now + timedelta(seconds=10), limits)
        assert refused is not None and 19 <= refused[0] <= 21
        assert await take(conn, "test:slide", now + timedelta(seconds=31), limits) is None
