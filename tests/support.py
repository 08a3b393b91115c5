"""Helpers shared by the tests: fixed time, cheap hashing, and signing in as a demo agent."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.store.schema import agents

PG_URL = os.environ.get("SUPPORTDESK_TEST_PG_URL")
FROZEN_NOW = datetime(2026, 11, 27, 15, 42, 10, 250000, tzinfo=UTC)
"""A Friday afternoon: snapshot tests and the demo world agree on what "now" is."""


def store_params() -> list[object]:
    """Both stores as test parameters; PostgreSQL's is skipped without a server."""
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgres",
            id="postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(PG_URL is None, reason="SUPPORTDESK_TEST_PG_URL is not set"),
            ],
        ),
    ]


def fast_settings(db_url: str) -> ServiceSettings:
    """Real argon2, cheaper cost: the suite hashes many times."""
    return ServiceSettings(
        db_url=db_url, demo_mode=True, argon2_time_cost=1, argon2_memory_kib=8192
    )


async def agent_code(engine: AsyncEngine, username: str, at: datetime) -> str:
    """What the agent's own authenticator shows at `at` (tests read the seed directly)."""
    async with engine.connect() as conn:
        secret = (
            await conn.execute(select(agents.c.totp_secret).where(agents.c.username == username))
        ).scalar_one()
    return str(pyotp.TOTP(secret).at(at))


async def sign_in_as(client: SupportDeskClient, ctx: ServiceContext, username: str) -> None:
    code = await agent_code(ctx.engine, username, ctx.clock.now())
    await client.sign_in(username, "demo", code)
