"""Staff lock-out that a stranger cannot turn against staff, and a log that a flood
cannot grow (issue 11; the design is docs/security.md). On both stores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.requests import Request

from supportdesk.service import errors
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.deps import client_source
from supportdesk.service.ops import sessions
from tests.service.support import audit_rows
from tests.support import agent_code


async def attempt(ctx: ServiceContext, username: str, source: str, *, right: bool) -> str:
    """Sign in from `source`; the outcome in a word (a session, or the refusal's code)."""
    code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now()) if right else "000000"
    try:
        await sessions.sign_in(
            ctx, username, "demo" if right else "wrong", code, request_id="t", source=source
        )
    except errors.ServiceError as refusal:
        return refusal.code
    return "session"


async def test_a_strangers_failures_lock_only_the_stranger_out(any_ctx: ServiceContext) -> None:
    tries = [await attempt(any_ctx, "demo-agent", "198.51.100.7", right=False) for _ in range(6)]
    assert tries == ["unauthorised"] * 4 + ["rate_limited"] * 2
    assert await attempt(any_ctx, "demo-agent", "192.0.2.10", right=True) == "session"


async def test_failures_from_everywhere_lock_the_account_but_not_its_own_desk(
    any_ctx: ServiceContext,
) -> None:
    assert await attempt(any_ctx, "demo-agent", "192.0.2.10", right=True) == "session"
    limit = any_ctx.settings.account_lockout_attempts
    for n in range(limit):
        await attempt(any_ctx, "demo-agent", f"203.0.113.{n + 1}", right=False)
    any_ctx.clock.advance(timedelta(seconds=30))  # a fresh code for each of the next two
    assert await attempt(any_ctx, "demo-agent", "198.51.100.99", right=True) == "rate_limited"
    assert await attempt(any_ctx, "demo-agent", "192.0.2.10", right=True) == "session"


async def test_a_flood_of_unknown_names_is_throttled_and_noted_once_a_minute(
    any_ctx: ServiceContext,
) -> None:
    tries = [await attempt(any_ctx, f"nobody{n}", "198.51.100.8", right=False) for n in range(30)]
    limit = any_ctx.settings.source_failures_per_min
    assert tries == ["unauthorised"] * limit + ["rate_limited"] * (30 - limit)
    entries = await audit_rows(any_ctx, action="agent.signin")
    assert [e["outcome"] for e in entries] == ["failed"] * limit + ["refused"]
    assert '"failures_last_minute":10' in entries[-1]["detail"]
    # Another address is not held up by that one.
    assert await attempt(any_ctx, "demo-agent", "192.0.2.10", right=True) == "session"
    # A minute on, the address may try again.
    any_ctx.clock.advance(timedelta(seconds=61))
    assert await attempt(any_ctx, "nobody", "198.51.100.8", right=False) == "unauthorised"


def request_from(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


@pytest.mark.parametrize(
    "trusted, peer, forwarded, source",
    [
        ([], "10.0.0.2", "203.0.113.5", "10.0.0.2"),  # no proxy configured: header ignored
        (["10.0.0.0/8"], "198.51.100.1", "203.0.113.5", "198.51.100.1"),  # peer not trusted
        (["10.0.0.0/8"], "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (["10.0.0.0/8"], "10.0.0.2", None, "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "not-an-address", "10.0.0.2"),
    ],
)
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    ctx: ServiceContext, trusted: list[str], peer: str, forwarded: str | None, source: str
) -> None:
    ctx.settings.trusted_proxies = trusted
    assert client_source(request_from(peer, forwarded), ctx) == source
