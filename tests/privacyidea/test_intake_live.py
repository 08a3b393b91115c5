"""Tickets from privacyIDEA's users: a message from an address privacyIDEA knows makes a
ticket for that user (a `pi-` id), matched through the provider, not our own table."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from supportdesk.service.channels.messenger import MessengerSettings, sign_headers
from supportdesk.service.http.app import build_app
from supportdesk.service.store.schema import tickets
from tests.channels.intake_support import SECRET, native_event
from tests.privacyidea.desk import PiDesk
from tests.privacyidea.people import CUSTOMERS


async def deliver(pi_desk: PiDesk, body: bytes) -> httpx.Response:
    """The messenger's webhook call, signed as the messenger signs it."""
    ctx = pi_desk.ctx
    ctx.messenger = MessengerSettings(webhook_secret=SecretStr(SECRET))
    # The classifier is not what this is about (tests/channels train and time it).
    ctx.settings = ctx.settings.model_copy(update={"intake_triage": False})
    transport = httpx.ASGITransport(app=build_app(ctx), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        return await http.post(
            "/v1/intake/messenger",
            content=body,
            headers={
                "Content-Type": "application/json",
                **sign_headers(body, SECRET, int(ctx.clock.now().timestamp())),
            },
        )


def from_ray(event_id: str) -> bytes:
    person = next(p for p in CUSTOMERS if p.username == "ray.castillo")
    return native_event(
        event_id,
        f"conv-{event_id}",
        "My authenticator codes stopped working this morning",
        email=person.email.upper(),  # the messenger's spelling of the address
        name="Ray Castillo",
    )


async def ticket_count(pi_desk: PiDesk) -> int:
    async with pi_desk.ctx.engine.connect() as conn:
        return len((await conn.execute(tickets.select())).all())


async def test_a_messenger_message_from_a_privacyidea_user_makes_their_ticket(
    pi_desk: PiDesk,
) -> None:
    answer = await deliver(pi_desk, from_ray("evt-pi-0001"))

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "created"
    ticket = await pi_desk.agent.get_ticket(answer.json()["ticket_id"])
    user_id = await pi_desk.user_id("ray.castillo")
    assert user_id.startswith("pi-") and ticket.user_id == user_id
    assert ticket.channel == "messenger"
    [entry] = await pi_desk.entries("ticket.received", user_id)
    assert entry["ticket_id"] == ticket.id
    assert await pi_desk.chain_intact()


async def test_while_privacyidea_is_down_the_message_waits_for_it(pi_desk: PiDesk) -> None:
    """503, no ticket: the messenger delivers again, and then the ticket is the user's."""
    real = pi_desk.provider.pi.find_users

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        from supportdesk.service.provider.privacyidea import PiUnreachable

        raise PiUnreachable("connection refused")

    before = await ticket_count(pi_desk)
    pi_desk.provider.pi.find_users = unreachable  # type: ignore[method-assign]
    try:
        refused = await deliver(pi_desk, from_ray("evt-pi-0002"))
    finally:
        pi_desk.provider.pi.find_users = real  # type: ignore[method-assign]

    assert refused.status_code == 503, refused.text
    assert await ticket_count(pi_desk) == before
    again = await deliver(pi_desk, from_ray("evt-pi-0002"))
    assert again.status_code == 200 and again.json()["outcome"] == "created"
    ticket = await pi_desk.agent.get_ticket(again.json()["ticket_id"])
    assert ticket.user_id == await pi_desk.user_id("ray.castillo")
