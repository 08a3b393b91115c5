"""The SMS part of the client against a stand-in back end: the requests it makes and how
it reads refusals. Any back end that answers these shapes can stand behind the screen."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import InvalidInput, RateLimited

Handler = Callable[[httpx.Request], httpx.Response]

DELIVERY = {
    "id": 7,
    "factor_id": "u1002-f1",
    "at": "2026-11-27T15:42:10Z",
    "updated_at": "2026-11-27T15:42:10Z",
    "phone_masked": "+1 •••-•••-0162",
    "status": "queued",
    "reason": None,
    "reason_code": None,
    "final": False,
}


def client_with(handler: Handler) -> SupportDeskClient:
    client = SupportDeskClient("http://backend.test", transport=httpx.MockTransport(handler))
    client.token = "tok"
    return client


async def test_resend_posts_the_ticket_and_reads_the_delivery() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={"delivery": DELIVERY, "code_expires_at": None, "next_send_in_s": 30},
        )

    async with client_with(handler) as client:
        sent = await client.resend_sms_code("u1002", ticket_id="T-1042")
    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/v1/users/u1002/sms/resend")
    assert request.headers["Authorization"] == "Bearer tok"
    assert json.loads(request.content) == {
        "factor_id": None,
        "ticket_id": "T-1042",
        "reason": None,
    }
    assert sent.delivery.phone_masked == "+1 •••-•••-0162"
    assert sent.next_send_in_s == 30


async def test_a_429_becomes_a_countdown_and_a_422_names_the_field() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/resend"):
            return httpx.Response(
                429,
                headers={"Retry-After": "17"},
                json={"error": {"code": "rate_limited", "message": "one code every 30 s"}},
            )
        return httpx.Response(
            422,
            json={"error": {"code": "invalid_input", "message": "too short", "field": "number"}},
        )

    async with client_with(handler) as client:
        with pytest.raises(RateLimited) as limited:
            await client.resend_sms_code("u1002")
        with pytest.raises(InvalidInput) as invalid:
            await client.compare_sms_number("u1002", "12")
    assert limited.value.retry_after_s == 17
    assert limited.value.message == "one code every 30 s"
    assert invalid.value.field == "number"


async def test_user_ids_cannot_walk_the_url() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(200, json=[])

    async with client_with(handler) as client:
        assert await client.sms_deliveries("../agent/me") == []
    assert paths == ["/v1/users/..%2Fagent%2Fme/sms/deliveries?limit=20"]
