"""The client tries again only when a second try cannot change anything twice.

The service is the real one (in-process over ASGI, or a real loopback server); only
the transport between them fails: a connection refused before the request left, or a
response lost after the service acted on it, or a server that drops the connection.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from supportdesk.api.base import RetryPolicy
from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import ServiceUnavailable, StoreUnavailable
from supportdesk.rules.policy import Action
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.app import build_app
from supportdesk.service.http.idempotency import REPLAY_HEADER
from tests.service.support import audit_rows, email_verification
from tests.support import sign_in_as


class FlakyTransport(httpx.AsyncBaseTransport):
    """The real app behind a network that fails the first `failures` requests to `path`:
    `lost="request"` refuses before the service sees it, `lost="response"` lets the service
    act and then drops its answer (the case where a blind retry would act twice)."""

    def __init__(
        self,
        app: object,
        path: str,
        failures: int,
        lost: str = "request",
        error: type[httpx.TransportError] = httpx.ConnectError,
    ) -> None:
        self.inner = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
        self.path = path
        self.failures = failures
        self.lost = lost
        self.error = error
        self.sent: Counter[str] = Counter()
        self.answers: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        self.sent[key] += 1
        failing = request.url.path == self.path and self.failures > 0
        if failing and self.lost == "request":
            self.failures -= 1
            raise self.error("connection refused or timed out", request=request)
        response = await self.inner.handle_async_request(request)
        if failing:
            self.failures -= 1
            await response.aread()
            raise httpx.ReadError("connection reset by peer", request=request)
        self.answers.append(response)
        return response


class Waits:
    """Records the waits between tries instead of sleeping them (no timing in tests)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def client_over(transport: httpx.AsyncBaseTransport, waits: Waits) -> SupportDeskClient:
    return SupportDeskClient(
        "http://service.test", transport=transport, retry=RetryPolicy(), sleep=waits
    )


async def test_a_read_is_retried_after_refused_connections_and_succeeds(
    ctx: ServiceContext,
) -> None:
    transport = FlakyTransport(build_app(ctx), "/v1/users/u1008", failures=2)
    waits = Waits()
    async with client_over(transport, waits) as client:
        await sign_in_as(client, ctx, "demo-agent")
        profile = await client.get_user("u1008")
    assert profile.id == "u1008"
    assert transport.sent["GET /v1/users/u1008"] == 3
    policy = RetryPolicy()
    assert len(waits.seconds) == 2
    assert all(0 < s <= policy.cap_s for s in waits.seconds)


async def test_a_read_gives_up_after_the_bounded_number_of_tries(ctx: ServiceContext) -> None:
    transport = FlakyTransport(build_app(ctx), "/v1/users/u1008", failures=10)
    waits = Waits()
    async with client_over(transport, waits) as client:
        await sign_in_as(client, ctx, "demo-agent")
        with pytest.raises(ServiceUnavailable, match="cannot reach"):
            await client.get_user("u1008")
    assert transport.sent["GET /v1/users/u1008"] == RetryPolicy().attempts


async def test_a_read_that_times_out_is_tried_once_more_only(ctx: ServiceContext) -> None:
    """Each timeout already cost the whole request timeout: the desk says so after two."""
    transport = FlakyTransport(
        build_app(ctx), "/v1/users/u1008", failures=10, error=httpx.ReadTimeout
    )
    async with client_over(transport, Waits()) as client:
        await sign_in_as(client, ctx, "demo-agent")
        with pytest.raises(ServiceUnavailable, match="did not answer in time"):
            await client.get_user("u1008")
    assert transport.sent["GET /v1/users/u1008"] == 2


async def test_a_write_without_an_idempotency_key_is_not_retried(ctx: ServiceContext) -> None:
    """The answer to a ticket's resolution is lost: the desk says it cannot tell, it does
    not send the change again."""
    transport = FlakyTransport(
        build_app(ctx), "/v1/tickets/T-1050/resolve", failures=1, lost="response"
    )
    waits = Waits()
    async with client_over(transport, waits) as client:
        await sign_in_as(client, ctx, "demo-agent")
        with pytest.raises(ServiceUnavailable):
            await client.resolve_ticket("T-1050", "explained", "answered on the phone")
        assert transport.sent["POST /v1/tickets/T-1050/resolve"] == 1
        assert waits.seconds == []
        assert (await client.get_ticket("T-1050")).status == "resolved"
    assert len(await audit_rows(ctx, action="ticket.resolve")) == 1


async def test_a_write_with_an_idempotency_key_is_retried_and_applied_once(
    ctx: ServiceContext,
) -> None:
    """The reset's answer is lost after the service reset the user: the retry with the same
    key gets the first answer back (a replay), and the user was reset once, audited once."""
    transport = FlakyTransport(
        build_app(ctx), "/v1/recovery/u1008/reset", failures=1, lost="response"
    )
    waits = Waits()
    async with client_over(transport, waits) as client:
        await sign_in_as(client, ctx, "demo-agent")
        verified = await email_verification(client, ctx, "u1008", "T-1050")
        result = await client.recover(
            Action.RESET_MFA,
            "u1008",
            ticket_id="T-1050",
            reason="Phone stolen; only factor",
            checks=["account_owner_callback"],
            verification_ids=[verified],
            idempotency_key="reset-after-a-lost-answer",
        )
    assert result.status == "done"
    assert transport.sent["POST /v1/recovery/u1008/reset"] == 2
    assert transport.answers[-1].headers.get(REPLAY_HEADER) == "true"
    assert len(waits.seconds) == 1
    assert [e["outcome"] for e in await audit_rows(ctx, action="mfa.reset")] == ["success"]


# -- real loopback servers ---------------------------------------------------------------------


HEALTH = json.dumps({"status": "ok", "version": "test"}).encode()


@asynccontextmanager
async def dropping_server(drops: int) -> AsyncIterator[tuple[str, list[int]]]:
    """A TCP server on loopback that closes the first `drops` connections without a word,
    then answers /v1/health; yields its URL and the connections it saw."""
    seen: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(len(seen) + 1)
        if len(seen) <= drops:
            writer.close()
            return
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(HEALTH)}\r\nConnection: close\r\n\r\n".encode()
            + HEALTH
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.close()
        await server.wait_closed()


async def test_a_read_survives_a_server_that_drops_connections() -> None:
    async with dropping_server(drops=2) as (url, seen):
        waits = Waits()
        async with SupportDeskClient(url, retry=RetryPolicy(), sleep=waits) as client:
            assert (await client.health()).status == "ok"
    assert len(seen) == 3
    assert len(waits.seconds) == 2


@asynccontextmanager
async def outage_server(retry_after: int, outages: int) -> AsyncIterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback that answers a database outage (503, Retry-After)
    `outages` times, then is well; yields its URL and the paths it was asked."""
    import uvicorn

    asked: list[str] = []

    async def app(
        scope: dict[str, object], receive: object, send: Callable[[object], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            return
        asked.append(str(scope["path"]))
        down = len(asked) <= outages
        body = (
            json.dumps(
                {"error": {"code": "store_unavailable", "message": "db down", "field": None}}
            ).encode()
            if down
            else HEALTH
        )
        headers = [(b"content-type", b"application/json")]
        if down:
            headers.append((b"retry-after", str(retry_after).encode()))
        status = 503 if down else 200
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise AssertionError("the loopback server did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", asked
    finally:
        server.should_exit = True
        await task


async def test_a_read_waits_as_long_as_retry_after_says_then_succeeds() -> None:
    async with outage_server(retry_after=1, outages=1) as (url, asked):
        waits = Waits()
        async with SupportDeskClient(url, retry=RetryPolicy(), sleep=waits) as client:
            assert (await client.ready()).status == "ok"
    assert asked == ["/v1/ready", "/v1/ready"]
    assert waits.seconds == [1.0]


async def test_a_longer_retry_after_is_not_waited_out_in_one_call() -> None:
    """The desk shows the outage (its banner) at once rather than hang for 30 s."""
    async with outage_server(retry_after=30, outages=5) as (url, asked):
        waits = Waits()
        async with SupportDeskClient(url, retry=RetryPolicy(), sleep=waits) as client:
            with pytest.raises(StoreUnavailable) as refused:
                await client.ready()
    assert refused.value.retry_after_s == 30
    assert asked == ["/v1/ready"]
    assert waits.seconds == []
