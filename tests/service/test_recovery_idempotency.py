"""A reset sent twice (a retry after a dropped connection, a double Enter, two workers at
once) resets once and is audited once; the retry gets the first answer back."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Conflict, InvalidInput
from supportdesk.embedded import client_for
from supportdesk.rules.policy import Action
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.app import build_app
from supportdesk.service.http.idempotency import REPLAY_HEADER
from tests.service.support import audit_rows, email_verification, enduser_sign_in
from tests.support import sign_in_as


async def reset_u1008(
    client: SupportDeskClient, verified: str, key: str, reason: str = "Phone stolen; only factor"
) -> object:
    return await client.recover(
        Action.RESET_MFA,
        "u1008",
        ticket_id="T-1050",
        reason=reason,
        checks=["account_owner_callback"],
        verification_ids=[verified],
        idempotency_key=key,
    )


async def test_the_same_reset_sent_twice_with_one_key_resets_and_audits_once(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    verified = await email_verification(client, ctx, "u1008", "T-1050")
    first = await reset_u1008(client, verified, "reset-u1008-0001")
    again = await reset_u1008(client, verified, "reset-u1008-0001")
    assert again == first
    assert [e["outcome"] for e in await audit_rows(ctx, action="mfa.reset")] == ["success"]
    assert (await enduser_sign_in(client, ctx, "u1008")).status == "setup_required"


async def test_a_replay_says_so_in_a_header(client: SupportDeskClient, ctx: ServiceContext) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    verified = await email_verification(client, ctx, "u1008", "T-1050")
    app = build_app(ctx)
    body = {
        "ticket_id": "T-1050",
        "reason": "Phone stolen",
        "checks": ["account_owner_callback"],
        "verification_ids": [verified],
    }
    headers = {"Authorization": f"Bearer {client.token}", "Idempotency-Key": "raw-http-key-1"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        first = await http.post("/v1/recovery/u1008/reset", json=body, headers=headers)
        second = await http.post("/v1/recovery/u1008/reset", json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert REPLAY_HEADER not in first.headers and second.headers[REPLAY_HEADER] == "true"
    assert second.json() == first.json()


async def test_one_key_for_a_different_request_is_refused(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    verified = await email_verification(client, ctx, "u1008", "T-1050")
    await reset_u1008(client, verified, "reset-u1008-0002")
    with pytest.raises(Conflict, match="different request"):
        await reset_u1008(client, verified, "reset-u1008-0002", reason="Something else")
    assert len(await audit_rows(ctx, action="mfa.reset")) == 1


async def test_a_retried_refusal_is_answered_again_but_recorded_once(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    for _ in range(2):
        with pytest.raises(InvalidInput, match="Verify the user's identity"):
            await client.recover(
                Action.RESET_MFA,
                "u1008",
                ticket_id="T-1050",
                reason="Phone stolen",
                checks=["email_origin"],
                idempotency_key="refused-once-0001",
            )
    assert [e["outcome"] for e in await audit_rows(ctx, action="mfa.reset")] == ["refused"]


async def test_keys_belong_to_the_agent_who_sent_them(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    """Another agent reusing a key string gets their own answer, not someone else's."""
    await sign_in_as(client, ctx, "demo-agent")
    with pytest.raises(InvalidInput):
        await client.recover(
            Action.RESET_MFA,
            "u1008",
            ticket_id="T-1050",
            reason="x",
            checks=[],
            idempotency_key="shared-key-01",
        )
    async with client_for(ctx) as other:
        await sign_in_as(other, ctx, "demo-agent2")
        with pytest.raises(InvalidInput):
            await other.recover(
                Action.RESET_MFA,
                "u1008",
                ticket_id="T-1050",
                reason="x",
                checks=[],
                idempotency_key="shared-key-01",
            )
    assert [e["actor"] for e in await audit_rows(ctx, action="mfa.reset")] == [
        "demo-agent",
        "demo-agent2",
    ]


async def test_a_malformed_key_is_refused_before_anything_happens(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    with pytest.raises(InvalidInput, match="Idempotency-Key"):
        await client.recover(
            Action.RESET_MFA,
            "u1008",
            ticket_id="T-1050",
            reason="x",
            checks=[],
            idempotency_key="short",
        )
    assert await audit_rows(ctx, action="mfa.reset") == []


async def test_the_same_reset_sent_twice_at_once_resets_and_audits_once(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    """Two requests in flight together, on SQLite and on PostgreSQL: the key's row is the lock."""
    await sign_in_as(any_client, any_ctx, "demo-agent")
    verified = await email_verification(any_client, any_ctx, "u1008", "T-1050")
    results = await asyncio.gather(
        *(reset_u1008(any_client, verified, "concurrent-reset-01") for _ in range(4))
    )
    assert all(r == results[0] for r in results)
    entries = await audit_rows(any_ctx, action="mfa.reset")
    assert [(e["actor"], e["outcome"]) for e in entries] == [("demo-agent", "success")]
    assert (await enduser_sign_in(any_client, any_ctx, "u1008")).status == "setup_required"


async def test_two_leads_pressing_approve_at_once_carry_it_out_once(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    """The same approval sent concurrently with one key: one reset, one approval entry."""
    await sign_in_as(any_client, any_ctx, "demo-agent")
    verified = await email_verification(any_client, any_ctx, "u1004", "T-1052")
    pending = await any_client.recover(
        Action.RESET_MFA,
        "u1004",
        ticket_id="T-1052",
        reason="Admin lost phone",
        checks=["account_owner_callback"],
        verification_ids=[verified],
    )
    assert pending.approval is not None
    async with client_for(any_ctx) as lead:
        await sign_in_as(lead, any_ctx, "demo-lead")
        outcomes = await asyncio.gather(
            *(lead.approve(pending.approval.id, idempotency_key="approve-once-001") for _ in "ab")
        )
    assert outcomes[0] == outcomes[1] and outcomes[0].approval.status == "approved"
    assert len(await audit_rows(any_ctx, action="approval.approve")) == 1
    assert [e["outcome"] for e in await audit_rows(any_ctx, action="mfa.reset")] == [
        "pending_approval",
        "success",
    ]
