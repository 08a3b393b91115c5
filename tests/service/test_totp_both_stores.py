"""The authenticator branch on each store (SQLite and, when CI provides one, PostgreSQL):
the diagnosis, its per-user limit and re-enrolment all live in the store's transactions."""

from __future__ import annotations

import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import RateLimited
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.phone import read_demo_phone
from tests.service.support import email_verification
from tests.support import sign_in_as


async def test_diagnose_limit_and_reenrol_on_each_store(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    await sign_in_as(any_client, any_ctx, "demo-agent")
    phone = await read_demo_phone(any_ctx.engine, "u1005", any_ctx.clock.now())

    result = await any_client.diagnose_totp("u1005", "T-1047", codes=[phone.code])
    assert result.drift is not None and abs(result.drift.center_s + 150) <= 30

    for _ in range(any_ctx.settings.diagnose_per_10min - 1):
        await any_client.diagnose_totp("u1005", "T-1047", codes=["123456"])
    with pytest.raises(RateLimited):
        await any_client.diagnose_totp("u1005", "T-1047", codes=["123456"])

    verified = await email_verification(any_client, any_ctx, "u1005", "T-1047")
    done = await any_client.reenrol_totp(
        "u1005", "T-1047", reason="stale secret", verification_ids=[verified]
    )
    assert done.retired_at == any_ctx.clock.now()
    started = await any_client.enduser_sign_in("ray.castillo@lonestarreefer.example", "demo")
    assert (started.status, started.enrol_required) == ("setup_required", "totp")
