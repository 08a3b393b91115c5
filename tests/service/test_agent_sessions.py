"""Agents sign in with password and their own code; everything else needs the token."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from supportdesk.api import errors
from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from tests.support import agent_code, sign_in_as


async def test_sign_in_gives_a_session_for_the_agent(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
    session = await client.sign_in("demo-agent", "demo", code)
    assert session.agent.username == "demo-agent"
    assert session.agent.role == "agent"
    assert (await client.me()).username == "demo-agent"


async def test_no_token_is_refused_with_401(client: SupportDeskClient) -> None:
    with pytest.raises(errors.Unauthorised):
        await client.list_tickets()
    with pytest.raises(errors.Unauthorised):
        await client.get_user("u1001")


async def test_raw_request_without_token_answers_401_with_a_message(ctx: ServiceContext) -> None:
    from supportdesk.service.http.app import build_app

    transport = httpx.ASGITransport(app=build_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as raw:
        response = await raw.get("/v1/tickets")
    assert response.status_code == 401
    assert "sign in" in response.json()["error"]["message"]


async def test_a_malformed_authorization_header_is_401_and_a_good_one_is_not(
    ctx: ServiceContext,
) -> None:
    """Only `Bearer <token>` (any case of "bearer", spaces around the token) signs a
    request in; another scheme, a bare word or an empty token is refused with a message."""
    from supportdesk.service.http.app import build_app

    transport = httpx.ASGITransport(app=build_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as raw:
        code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
        signed = await raw.post(
            "/v1/agent/sessions",
            json={"username": "demo-agent", "password": "demo", "code": code},
        )
        token = signed.json()["token"]
        for header in ["Bearer", "Bearer ", "Basic " + token, token, "Bearer" + token, "Bearer x"]:
            response = await raw.get("/v1/agent/me", headers={"Authorization": header})
            assert response.status_code == 401, header
            assert "sign in" in response.json()["error"]["message"], header
        for header in [f"Bearer {token}", f"bearer  {token} ", f"BEARER {token}"]:
            response = await raw.get("/v1/agent/me", headers={"Authorization": header})
            assert response.json()["username"] == "demo-agent", header


async def test_wrong_code_is_401_and_five_failures_lock_the_agent_out(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    good = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(4):
        with pytest.raises(errors.Unauthorised):
            await client.sign_in("demo-agent", "demo", wrong)
    with pytest.raises(errors.RateLimited) as locked:
        await client.sign_in("demo-agent", "demo", wrong)
    assert locked.value.retry_after_s > 60
    # Locked: even the right code is refused until the lock passes.
    with pytest.raises(errors.RateLimited):
        await client.sign_in("demo-agent", "demo", good)
    ctx.clock.advance(timedelta(minutes=16))
    fresh = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
    assert (await client.sign_in("demo-agent", "demo", fresh)).agent.username == "demo-agent"


async def test_wrong_password_with_right_code_is_refused(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
    with pytest.raises(errors.Unauthorised, match="wrong username, password or code"):
        await client.sign_in("demo-agent", "not-demo", code)


async def test_a_code_cannot_be_replayed(client: SupportDeskClient, ctx: ServiceContext) -> None:
    code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
    await client.sign_in("demo-agent", "demo", code)
    with pytest.raises(errors.Unauthorised):
        await client.sign_in("demo-agent", "demo", code)


async def test_expired_token_is_401(client: SupportDeskClient, ctx: ServiceContext) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await client.list_tickets()
    ctx.clock.advance(timedelta(seconds=ctx.settings.token_idle_s + 1))
    with pytest.raises(errors.Unauthorised, match="expired"):
        await client.list_tickets()


async def test_absolute_expiry_holds_even_for_a_busy_agent(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    elapsed = timedelta(0)
    step = timedelta(seconds=ctx.settings.token_idle_s - 60)
    while elapsed + step < timedelta(seconds=ctx.settings.token_absolute_s):
        ctx.clock.advance(step)
        elapsed += step
        await client.list_tickets()
    ctx.clock.advance(step)
    with pytest.raises(errors.Unauthorised):
        await client.list_tickets()


async def test_sign_out_revokes_the_token(client: SupportDeskClient, ctx: ServiceContext) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    token = client.token
    await client.sign_out()
    client.token = token
    with pytest.raises(errors.Unauthorised):
        await client.me()


async def test_agent_cannot_read_the_audit_log_but_a_lead_can(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    with pytest.raises(errors.Forbidden):
        await client.audit_page()
    await client.sign_out()
    await sign_in_as(client, ctx, "demo-lead")
    page = await client.audit_page(action="agent.signin")
    assert [e.actor for e in page.entries][:2] == ["demo-lead", "demo-agent"]


async def test_sign_ins_failures_and_sign_outs_are_audited(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    with pytest.raises(errors.Unauthorised):
        await client.sign_in("demo-agent", "demo", "000000")
    with pytest.raises(errors.Unauthorised):
        await client.sign_in("nobody", "demo", "000000")
    await sign_in_as(client, ctx, "demo-agent")
    await client.sign_out()
    ctx.clock.advance(timedelta(seconds=30))
    await sign_in_as(client, ctx, "demo-lead")
    entries = (await client.audit_page(limit=10)).entries
    seen = [(e.actor, e.action, e.outcome) for e in reversed(entries)]
    assert seen[-5:] == [
        ("demo-agent", "agent.signin", "failed"),
        ("nobody", "agent.signin", "failed"),
        ("demo-agent", "agent.signin", "success"),
        ("demo-agent", "agent.signout", "success"),
        ("demo-lead", "agent.signin", "success"),
    ]
