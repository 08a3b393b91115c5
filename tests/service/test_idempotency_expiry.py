"""Idempotency keys are kept for a day: a retry within it replays, older rows are purged
when a new key is stored, and a key sent again after a day is a new request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import InvalidInput
from supportdesk.rules.policy import Action
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.idempotency import KEY_TTL
from supportdesk.service.store.schema import idempotency_keys
from tests.service.support import audit_rows
from tests.support import sign_in_as


async def refused_reset(client: SupportDeskClient, key: str) -> None:
    """A reset the policy refuses (one weak check): cheap, audited, and stored with its key."""
    with pytest.raises(InvalidInput, match="Verify the user's identity"):
        await client.recover(
            Action.RESET_MFA,
            "u1008",
            ticket_id="T-1050",
            reason="Phone stolen",
            checks=["email_origin"],
            idempotency_key=key,
        )


async def stored_keys(ctx: ServiceContext) -> list[str]:
    async with ctx.engine.connect() as conn:
        rows = await conn.execute(select(idempotency_keys.c.key).order_by(idempotency_keys.c.key))
        return list(rows.scalars())


async def test_keys_older_than_a_day_are_purged_when_a_new_one_is_stored(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await refused_reset(client, "monday-key-0001")
    ctx.clock.advance(timedelta(hours=23))
    await sign_in_as(client, ctx, "demo-agent")  # the first session has aged out
    await refused_reset(client, "monday-key-0002")
    assert await stored_keys(ctx) == ["monday-key-0001", "monday-key-0002"]

    ctx.clock.advance(KEY_TTL - timedelta(hours=23))  # the first key is now a day old
    await sign_in_as(client, ctx, "demo-agent")
    await refused_reset(client, "tuesday-key-0001")
    assert await stored_keys(ctx) == ["monday-key-0002", "tuesday-key-0001"]


async def test_a_key_sent_again_after_a_day_is_a_new_request(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await refused_reset(client, "reused-key-0001")
    await refused_reset(client, "reused-key-0001")  # a retry: replayed, not recorded again
    assert len(await audit_rows(ctx, action="mfa.reset")) == 1

    ctx.clock.advance(KEY_TTL)
    await sign_in_as(client, ctx, "demo-agent")
    await refused_reset(client, "reused-key-0001")
    assert len(await audit_rows(ctx, action="mfa.reset")) == 2
    assert await stored_keys(ctx) == ["reused-key-0001"]
