"""End users' sign-in is throttled per source address as well as per e-mail address:
one address trying a password on many accounts is refused before any password is
checked, noted once a minute rather than per try (docs/security.md). On both stores."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from supportdesk.service import errors
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.app import build_app
from supportdesk.service.ops import enduser, sessions
from tests.service.support import USER_PASSWORD, audit_rows, totp_user
from tests.support import agent_code


async def try_password(ctx: ServiceContext, email: str, password: str, source: str) -> str:
    """Sign in as an end user from `source`; the outcome in a word."""
    try:
        await enduser.sign_in(ctx, email, password, source=source)
    except errors.ServiceError as refusal:
        return refusal.code
    return "challenge"


async def test_one_address_spraying_a_password_is_throttled_and_noted_once_a_minute(
    any_ctx: ServiceContext,
) -> None:
    limit = any_ctx.settings.enduser_source_failures_per_min
    email, _ = await totp_user(any_ctx)
    spray = [
        await try_password(any_ctx, f"driver{n}@example.invalid", "Summer2026!", "198.51.100.9")
        for n in range(limit + 15)
    ]
    assert spray == ["unauthorised"] * limit + ["rate_limited"] * 15
    # Throttled, the address is refused even the right password: it is not checked.
    assert await try_password(any_ctx, email, USER_PASSWORD, "198.51.100.9") == "rate_limited"
    entries = await audit_rows(any_ctx, action="enduser.signin")
    assert [e["outcome"] for e in entries] == ["refused"]
    detail = json.loads(entries[0]["detail"])
    assert detail["source"] == "198.51.100.9"
    assert detail["failures_last_minute"] == limit
    assert detail["retry_after_s"] > 0
    # Another address is not held up, nor are staff signing in from the same one.
    assert await try_password(any_ctx, email, USER_PASSWORD, "192.0.2.10") == "challenge"
    code = await agent_code(any_ctx.engine, "demo-agent", any_ctx.clock.now())
    await sessions.sign_in(
        any_ctx, "demo-agent", "demo", code, request_id="t", source="198.51.100.9"
    )
    # A minute on, the address may try again, and a new burst is one new entry.
    any_ctx.clock.advance(timedelta(seconds=61))
    assert await try_password(any_ctx, email, USER_PASSWORD, "198.51.100.9") == "challenge"
    for n in range(limit + 3):
        await try_password(any_ctx, f"driver{n}@example.invalid", "Autumn2026!", "198.51.100.9")
    entries = await audit_rows(any_ctx, action="enduser.signin")
    assert [e["outcome"] for e in entries] == ["refused", "refused"]


async def test_right_passwords_do_not_count_against_the_address(any_ctx: ServiceContext) -> None:
    email, _ = await totp_user(any_ctx)
    limit = any_ctx.settings.enduser_source_failures_per_min
    outcomes = {
        await try_password(any_ctx, email, USER_PASSWORD, "203.0.113.40") for _ in range(limit + 5)
    }
    assert outcomes == {"challenge"}


async def test_the_throttle_answers_429_with_retry_after_per_forwarded_client(
    any_ctx: ServiceContext,
) -> None:
    """Behind a trusted proxy each forwarded client has its own count; a peer that is no
    trusted proxy cannot dodge its count by writing the header."""
    any_ctx.settings.trusted_proxies = ["10.0.0.0/8"]
    limit = any_ctx.settings.enduser_source_failures_per_min
    email, _ = await totp_user(any_ctx)
    app = build_app(any_ctx)

    def http(peer: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(peer, 5000))
        return httpx.AsyncClient(transport=transport, base_url="http://desk.test")

    async def sign_in(client: httpx.AsyncClient, n: int, forwarded: str) -> httpx.Response:
        body = {"email": f"driver{n}@example.invalid", "password": "wrong"}
        if n < 0:
            body = {"email": email, "password": USER_PASSWORD}
        headers = {"x-forwarded-for": forwarded}
        return await client.post("/v1/enduser/signin", json=body, headers=headers)

    async with http("10.0.0.2") as proxy, http("198.51.100.30") as stranger:
        answers = [await sign_in(proxy, n, "203.0.113.5") for n in range(limit + 1)]
        assert [a.status_code for a in answers] == [401] * limit + [429]
        assert int(answers[-1].headers["retry-after"]) > 0
        assert "from this address" in answers[-1].json()["error"]["message"]
        assert (await sign_in(proxy, -1, "203.0.113.6")).status_code == 200

        forged = [await sign_in(stranger, n, f"192.0.2.{n}") for n in range(limit + 1)]
        assert [a.status_code for a in forged] == [401] * limit + [429]
