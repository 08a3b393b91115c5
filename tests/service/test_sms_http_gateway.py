"""The HTTP gateway against a real (tiny, local) HTTP server: what it posts, how it reads
the provider's answers, and what an agent sees when the provider refuses."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Unauthorised
from supportdesk.service.context import ServiceContext
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.sms import (
    HttpGatewayConfig,
    HttpSmsGateway,
    OutgoingSms,
    SmsGatewayError,
    gateway_from_settings,
)
from supportdesk.service.store.schema import audit_log
from tests.support import FROZEN_NOW, sign_in_as


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Provider:
    """What the fake provider received, and what it answers next."""

    url: str
    seen: list[Seen] = field(default_factory=list)
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)
    status_answer: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def provider() -> Iterator[Provider]:
    """A provider on 127.0.0.1 in a thread: POST sends, GET /status/REF reads a state."""
    state = Provider(url="")

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.seen.append(
                Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
            )

        def do_POST(self) -> None:
            self._record()
            self._reply(state.status, state.answer)

        def do_GET(self) -> None:
            self._record()
            self._reply(200, state.status_answer)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


async def test_json_body_with_a_bearer_token(provider: Provider) -> None:
    provider.answer = {"id": "msg-77", "status": "accepted"}
    gateway = HttpSmsGateway(
        HttpGatewayConfig(url=f"{provider.url}/v2/messages", token="tok-secret", sender="Alvys")
    )
    receipt = await gateway.send(
        OutgoingSms("+15055550162", "123456 is your Alvys verification code.", "41"), FROZEN_NOW
    )
    [request] = provider.seen
    assert (request.method, request.path) == ("POST", "/v2/messages")
    assert request.headers["Authorization"] == "Bearer tok-secret"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "to": "+15055550162",
        "from": "Alvys",
        "text": "123456 is your Alvys verification code.",
    }
    assert receipt.provider_ref == "msg-77"
    assert receipt.state.status == "queued"


async def test_twilio_style_form_body_with_basic_auth_and_a_status_url(
    provider: Provider,
) -> None:
    provider.answer = {"sid": "SM0001", "status": "queued"}
    gateway = HttpSmsGateway(
        HttpGatewayConfig(
            url=f"{provider.url}/2010-04-01/Accounts/AC1/Messages.json",
            body="form",
            sender="+15005550006",
            username="AC1",
            password="auth-token",
            to_field="To",
            from_field="From",
            text_field="Body",
            ref_field="sid",
            status_url=f"{provider.url}/2010-04-01/Accounts/AC1/Messages/{{ref}}.json",
        )
    )
    receipt = await gateway.send(
        OutgoingSms("+447700154872", "654321 is your code", "9"), FROZEN_NOW
    )
    sent = provider.seen[0]
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"AC1:auth-token").decode()
    assert parse_qs(sent.body.decode()) == {
        "To": ["+447700154872"],
        "From": ["+15005550006"],
        "Body": ["654321 is your code"],
    }
    assert receipt.provider_ref == "SM0001"

    provider.status_answer = {
        "sid": "SM0001",
        "status": "undelivered",
        "error_code": 30003,
        "error_message": "Unreachable destination handset",
    }
    later = FROZEN_NOW + timedelta(seconds=20)
    state = await gateway.poll("SM0001", "+447700154872", FROZEN_NOW, later)
    assert provider.seen[1].path == "/2010-04-01/Accounts/AC1/Messages/SM0001.json"
    assert state is not None
    assert (state.status, state.reason, state.reason_code) == (
        "undelivered",
        "Unreachable destination handset",
        "30003",
    )


async def test_a_refusal_carries_the_providers_reason_and_code(provider: Provider) -> None:
    provider.status = 400
    provider.answer = {"error_code": 21610, "error_message": "Attempt to send to unsubscribed"}
    gateway = HttpSmsGateway(HttpGatewayConfig(url=provider.url))
    with pytest.raises(SmsGatewayError) as refused:
        await gateway.send(OutgoingSms("+15055550162", "x", "1"), FROZEN_NOW)
    assert (refused.value.reason, refused.value.code) == (
        "Attempt to send to unsubscribed",
        "21610",
    )


async def test_an_unreachable_provider_is_said_plainly() -> None:
    gateway = HttpSmsGateway(HttpGatewayConfig(url="http://127.0.0.1:9/send", timeout_s=2))
    with pytest.raises(SmsGatewayError) as refused:
        await gateway.send(OutgoingSms("+15055550162", "x", "1"), FROZEN_NOW)
    assert refused.value.code == "unreachable"
    assert "127.0.0.1" not in refused.value.reason


def test_the_settings_build_the_http_gateway_and_keep_its_secret_out_of_repr() -> None:
    settings = ServiceSettings(
        sms_gateway="http",
        sms_http_url="https://sms.example.invalid/send",
        sms_http_body="form",
        sms_http_username="acct",
        sms_http_password="hunter2",  # type: ignore[arg-type]
    )
    gateway = gateway_from_settings(settings)
    assert isinstance(gateway, HttpSmsGateway)
    assert gateway.config.body == "form"
    assert gateway.config.password == "hunter2"
    assert "hunter2" not in repr(gateway.config)
    assert "hunter2" not in repr(settings)


async def test_a_gateway_error_shows_the_agent_the_reason_and_leaves_the_delivery_failed(
    client: SupportDeskClient, ctx: ServiceContext, provider: Provider
) -> None:
    provider.status = 400
    provider.answer = {"error_code": 30007, "error_message": "Message filtered by the carrier"}
    ctx.sms_gateway = HttpSmsGateway(HttpGatewayConfig(url=f"{provider.url}/send"))
    await sign_in_as(client, ctx, "demo-agent")

    resent = await client.resend_sms_code("u1002", ticket_id="T-1042")
    assert resent.delivery.status == "failed"
    assert resent.delivery.reason == "Message filtered by the carrier"
    assert resent.delivery.reason_code == "30007"
    assert resent.code_expires_at is None
    [logged] = await client.sms_deliveries("u1002")
    assert (logged.status, logged.reason, logged.final) == (
        "failed",
        "Message filtered by the carrier",
        True,
    )

    # The code that was never sent is void: even the provider's copy cannot sign in.
    text = json.loads(provider.seen[0].body)["text"]
    code = text.split()[0]
    started = await client.enduser_sign_in("tyler.brooks@redmesafreight.example", "demo")
    with pytest.raises(Unauthorised):
        await client.enduser_verify(started.challenge_id, "sms", code)

    async with ctx.engine.connect() as conn:
        actions = [
            (r.action, r.outcome, r.reason)
            for r in await conn.execute(
                select(audit_log)
                .where(audit_log.c.target_user == "u1002")
                .order_by(audit_log.c.seq)
            )
        ]
    assert actions[-2:] == [
        ("sms.resend", "queued", "user reports the text code did not arrive"),
        ("sms.send_failed", "failed", "Message filtered by the carrier"),
    ]
