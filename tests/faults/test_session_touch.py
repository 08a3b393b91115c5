"""A session's last_seen_at is written at most every `session_touch_s`, not per request,
and idle expiry stays within what the setting promises (the service's clock moves)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from supportdesk.api import errors
from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.schema import agent_sessions
from tests.support import sign_in_as


async def last_seen(ctx: ServiceContext) -> datetime:
    async with ctx.engine.connect() as conn:
        found = await conn.execute(
            select(agent_sessions.c.last_seen_at).order_by(agent_sessions.c.id.desc()).limit(1)
        )
        value: datetime = found.scalar_one()
    return value


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


async def test_last_seen_is_written_at_most_every_touch_interval(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    ctx, client = any_ctx, any_client
    touch = ctx.settings.session_touch_s
    await sign_in_as(client, ctx, "demo-agent")
    signed_in = await last_seen(ctx)
    for _ in range(10):
        ctx.clock.advance(seconds((touch - 1) / 10))
        await client.list_tickets()
    assert await last_seen(ctx) == signed_in  # ten requests, no write
    ctx.clock.advance(seconds(1))
    await client.list_tickets()
    assert await last_seen(ctx) == ctx.clock.now()
    await client.me()
    assert await last_seen(ctx) == ctx.clock.now()  # the same instant: nothing to write


async def test_an_agent_at_work_is_never_idled_out(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    """Requests a little less than touch apart for twice the idle limit: still signed in."""
    ctx, client = any_ctx, any_client
    await sign_in_as(client, ctx, "demo-agent")
    step = seconds(ctx.settings.session_touch_s - 1)
    worked = timedelta(0)
    while worked < seconds(2 * ctx.settings.token_idle_s):
        ctx.clock.advance(step)
        worked += step
        await client.list_tickets()


async def test_idle_expiry_is_within_the_touch_interval_of_the_last_request(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    ctx, client = any_ctx, any_client
    idle, touch = ctx.settings.token_idle_s, ctx.settings.session_touch_s
    await sign_in_as(client, ctx, "demo-agent")
    ctx.clock.advance(seconds(touch - 1))
    await client.list_tickets()  # used, but not written: within the touch interval
    ctx.clock.advance(seconds(idle - touch))  # idle for exactly idle - touch since then
    await client.list_tickets()  # never refused this early; this one writes last_seen
    ctx.clock.advance(seconds(idle))  # idle for the full limit: always refused
    with pytest.raises(errors.Unauthorised, match="expired"):
        await client.list_tickets()
