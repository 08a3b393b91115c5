"""The messenger webhook makes tickets: signed, idempotent, appended, refused cleanly.

Through the real HTTP app on each store: what the messenger would send, signed with the
shared secret, and what an agent then sees in the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import InvalidInput
from supportdesk.embedded import client_for
from supportdesk.service.channels.messenger import MessengerSettings, sign_headers
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.app import build_app
from tests.channels.http_recorder import serve
from tests.channels.intake_support import (
    SECRET,
    audit_actions,
    chatwoot_event,
    chatwoot_headers,
    native_event,
)
from tests.support import sign_in_as

pytestmark = pytest.mark.usefixtures("triage_model")


@pytest.fixture
async def desk(
    any_ctx: ServiceContext,
) -> AsyncIterator[tuple[httpx.AsyncClient, SupportDeskClient]]:
    """The service with a webhook secret, a raw HTTP client for the messenger and a
    signed-in agent's client."""
    any_ctx.messenger = MessengerSettings(webhook_secret=SecretStr(SECRET))
    transport = httpx.ASGITransport(app=build_app(any_ctx), raise_app_exceptions=False)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://desk") as http,
        client_for(any_ctx) as agent,
    ):
        await sign_in_as(agent, any_ctx, "demo-agent")
        yield http, agent


def _now(ctx: ServiceContext) -> int:
    return int(ctx.clock.now().timestamp())


async def _post(http: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await http.post(
        "/v1/intake/messenger",
        content=body,
        headers={"Content-Type": "application/json", **headers},
    )


async def test_a_signed_event_makes_one_triaged_ticket_even_when_delivered_twice(
    any_ctx: ServiceContext, desk: tuple[httpx.AsyncClient, SupportDeskClient]
) -> None:
    http, agent = desk
    before = {t.id for t in await agent.list_tickets()}
    body = native_event(
        "evt_1",
        "conv_77",
        "I never get the SMS code when I sign in from my phone",
        email="marisol.baca@redmesafreight.example",
    )
    headers = sign_headers(body, SECRET, _now(any_ctx))
    first = await _post(http, body, headers)
    again = await _post(http, body, headers)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "created"
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert again.json()["ticket_id"] == first.json()["ticket_id"]

    new = [t for t in await agent.list_tickets() if t.id not in before]
    assert len(new) == 1
    [ticket] = new
    assert ticket.channel == "messenger"
    assert ticket.user_id == "u1001" and ticket.user_name == "Marisol Baca"
    assert ticket.text == "I never get the SMS code when I sign in from my phone"
    assert ticket.triage is not None and ticket.triage.branch == "sms_not_received"
    assert ticket.triage is not None and ticket.triage.confidence > 0.5
    assert await audit_actions(any_ctx, ticket.id) == ["ticket.received"]


async def test_a_new_message_on_the_open_conversation_joins_its_ticket(
    any_ctx: ServiceContext, desk: tuple[httpx.AsyncClient, SupportDeskClient]
) -> None:
    http, agent = desk
    now = _now(any_ctx)
    one = native_event("evt_a", "conv_9", "My authenticator code is rejected")
    two = native_event("evt_b", "conv_9", "I tried again after lunch, still rejected")
    first = (await _post(http, one, sign_headers(one, SECRET, now))).json()
    second = (await _post(http, two, sign_headers(two, SECRET, now))).json()
    assert first["outcome"] == "created" and second["outcome"] == "appended"
    assert second["ticket_id"] == first["ticket_id"]
    messages = await agent.ticket_messages(first["ticket_id"])
    assert [m.body for m in messages] == [
        "My authenticator code is rejected",
        "I tried again after lunch, still rejected",
    ]
    text = (await agent.get_ticket(first["ticket_id"])).text  # what every screen shows
    assert text.startswith("My authenticator code is rejected\n\n— ")
    assert text.endswith(
        "wrote again (27 Nov 15:42 UTC):\nI tried again after lunch, still rejected"
    )
    assert await audit_actions(any_ctx, first["ticket_id"]) == [
        "ticket.received",
        "ticket.message_appended",
    ]


async def test_an_unknown_sender_still_makes_a_ticket_marked_so(
    any_ctx: ServiceContext, desk: tuple[httpx.AsyncClient, SupportDeskClient]
) -> None:
    http, agent = desk
    body = native_event(
        "evt_u", "conv_u", "Can I use Bitwarden for the codes?", email="who@else.example"
    )
    answer = (await _post(http, body, sign_headers(body, SECRET, _now(any_ctx)))).json()
    ticket = await agent.get_ticket(answer["ticket_id"])
    assert ticket.user_id is None and ticket.unknown_user
    assert ticket.sender == "who@else.example"
    assert "unknown user" in ticket.user_name
    with pytest.raises(InvalidInput, match="unknown sender"):  # no account change under it
        await agent.diagnose_totp("u1001", ticket.id, codes=["123456"])


@pytest.mark.parametrize(
    "tamper",
    ["bad_signature", "old_timestamp", "no_signature", "other_secret"],
)
async def test_a_bad_signature_or_old_timestamp_is_401_and_makes_nothing(
    any_ctx: ServiceContext, desk: tuple[httpx.AsyncClient, SupportDeskClient], tamper: str
) -> None:
    http, agent = desk
    before = await agent.list_tickets(status="all")
    body = native_event("evt_x", "conv_x", "the code is rejected")
    now = _now(any_ctx)
    headers: dict[str, str] = {
        "bad_signature": {
            **sign_headers(body, SECRET, now),
            "X-Supportdesk-Signature": "v1=" + "0" * 64,
        },
        "old_timestamp": sign_headers(body, SECRET, now - 3600),
        "no_signature": {},
        "other_secret": sign_headers(body, "not-the-secret", now),
    }[tamper]
    answer = await _post(http, body, headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] in {"bad_signature", "stale"}
    assert await agent.list_tickets(status="all") == before
    # The refused event id was not spent: the genuine delivery still goes through.
    good = await _post(http, body, sign_headers(body, SECRET, now))
    assert good.json()["outcome"] == "created"


async def test_oversize_and_malformed_are_refused_with_a_reason(
    any_ctx: ServiceContext, desk: tuple[httpx.AsyncClient, SupportDeskClient]
) -> None:
    http, agent = desk
    before = await agent.list_tickets(status="all")
    now = _now(any_ctx)
    huge = native_event("evt_big", "conv_big", "x" * 300_000)
    big = await _post(http, huge, sign_headers(huge, SECRET, now))
    assert big.status_code == 413
    broken = b'{"event_id": "evt_m", "type": "message.created"'
    bad = await _post(http, broken, sign_headers(broken, SECRET, now))
    assert bad.status_code == 422 and bad.json()["error"]["message"]
    no_text = json.dumps({"event_id": "e", "type": "message.created", "conversation_id": "c"})
    empty = await _post(http, no_text.encode(), sign_headers(no_text.encode(), SECRET, now))
    assert empty.status_code == 422
    assert await agent.list_tickets(status="all") == before


async def test_a_flood_from_one_sender_is_throttled(
    any_ctx: ServiceContext, desk: tuple[httpx.AsyncClient, SupportDeskClient]
) -> None:
    http, _agent = desk
    now = _now(any_ctx)
    answers: list[int] = []
    for n in range(any_ctx.settings.intake_per_sender_10min + 2):
        body = native_event(f"evt_f{n}", f"conv_f{n}", f"spam {n}", email="loud@flood.example")
        answers.append((await _post(http, body, sign_headers(body, SECRET, now))).status_code)
    limit = any_ctx.settings.intake_per_sender_10min
    assert answers[:limit] == [200] * limit
    assert answers[limit:] == [429, 429]


async def test_chatwoot_message_created_makes_a_ticket_and_agents_messages_are_ignored(
    any_ctx: ServiceContext, desk: tuple[httpx.AsyncClient, SupportDeskClient]
) -> None:
    http, agent = desk
    now = _now(any_ctx)
    incoming = chatwoot_event(
        101, 5, "I lost my phone and need to sign in", email="tyler.brooks@redmesafreight.example"
    )
    answer = await http.post(
        "/v1/intake/chatwoot", content=incoming, headers=chatwoot_headers(incoming, now)
    )
    assert answer.status_code == 200, answer.text
    ticket = await agent.get_ticket(answer.json()["ticket_id"])
    assert (
        ticket.user_id == "u1002"
        and ticket.triage is not None
        and ticket.triage.branch == "lost_device"
    )
    outgoing = chatwoot_event(102, 5, "We are on it", message_type="outgoing")
    ignored = await http.post(
        "/v1/intake/chatwoot", content=outgoing, headers=chatwoot_headers(outgoing, now)
    )
    assert ignored.status_code == 200 and ignored.json()["outcome"] == "ignored"
    stale = await http.post(
        "/v1/intake/chatwoot", content=incoming, headers=chatwoot_headers(incoming, now - 3600)
    )
    assert stale.status_code == 401


async def test_the_same_event_delivered_at_once_many_times_makes_one_ticket(
    any_ctx: ServiceContext, desk: tuple[httpx.AsyncClient, SupportDeskClient]
) -> None:
    """Concurrent retries (PostgreSQL runs them in parallel): one ticket, the rest duplicates."""
    http, agent = desk
    before = len(await agent.list_tickets(status="all"))
    body = native_event("evt_race", "conv_race", "My security key is lost")
    headers = sign_headers(body, SECRET, _now(any_ctx))
    answers = await asyncio.gather(*(_post(http, body, headers) for _ in range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["created"] + ["duplicate"] * 4
    assert len({a.json()["ticket_id"] for a in answers}) == 1
    assert len(await agent.list_tickets(status="all")) == before + 1


async def test_a_chatwoot_reply_goes_to_the_accounts_conversation(
    any_ctx: ServiceContext,
    desk: tuple[httpx.AsyncClient, SupportDeskClient],
) -> None:
    http, agent = desk
    with contextlib.ExitStack() as stack:
        url, recorder = stack.enter_context(contextlib.contextmanager(serve)())
        any_ctx.messenger = MessengerSettings(
            webhook_secret=SecretStr(SECRET), api_url=url, api_token=SecretStr("cw-token")
        )
        incoming = chatwoot_event(201, 8, "Is MFA mandatory for everyone?")
        made = await http.post(
            "/v1/intake/chatwoot",
            content=incoming,
            headers=chatwoot_headers(incoming, _now(any_ctx)),
        )
        ticket_id = made.json()["ticket_id"]
        ticket = await agent.add_reply(ticket_id, "Yes, for every account since March.")
    assert ticket.replies[0].delivery_state == "sent"
    [posted] = recorder.requests
    assert posted.path == "/api/v1/accounts/3/conversations/8/messages"
    assert posted.headers.get("api_access_token") == "cw-token"
    assert posted.body["content"] == "Yes, for every account since March."
    assert posted.body["message_type"] == "outgoing" and posted.body["private"] is False
