"""Tickets from privacyIDEA's users: a message from an address privacyIDEA knows makes a
ticket for that user (a `pi-` id), matched through the provider, not our own table."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from supportdesk.service.channels.messenger import MessengerSettings, sign_headers
from supportdesk.service.http.app import build_app
from tests.channels.intake_support import SECRET, native_event
from tests.privacyidea.desk import PiDesk
from tests.privacyidea.people import CUSTOMERS


async def test_a_messenger_message_from_a_privacyidea_user_makes_their_ticket(
    pi_desk: PiDesk,
) -> None:
    person = next(p for p in CUSTOMERS if p.username == "ray.castillo")
    ctx = pi_desk.ctx
    ctx.messenger = MessengerSettings(webhook_secret=SecretStr(SECRET))
    # The classifier is not what this is about (tests/channels train and time it).
    ctx.settings = ctx.settings.model_copy(update={"intake_triage": False})
    body = native_event(
        "evt-pi-0001",
        "conv-pi-0001",
        "My authenticator codes stopped working this morning",
        email=person.email.upper(),  # the messenger's spelling of the address
        name="Ray Castillo",
    )
    transport = httpx.ASGITransport(app=build_app(ctx), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        answer = await http.post(
            "/v1/intake/messenger",
            content=body,
            headers={
                "Content-Type": "application/json",
                **sign_headers(body, SECRET, int(ctx.clock.now().timestamp())),
            },
        )

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "created"
    ticket = await pi_desk.agent.get_ticket(answer.json()["ticket_id"])
    user_id = await pi_desk.user_id("ray.castillo")
    assert user_id.startswith("pi-") and ticket.user_id == user_id
    assert ticket.channel == "messenger"
    [entry] = await pi_desk.entries("ticket.received", user_id)
    assert entry["ticket_id"] == ticket.id
    assert await pi_desk.chain_intact()
