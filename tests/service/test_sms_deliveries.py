"""The delivery log and the simulated carrier: states advance as the service clock moves,
each number behaves the same way every time, and failures read like a carrier's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.sms import OutgoingSms, SimulatedCarrier, SmsGatewayError
from tests.support import FROZEN_NOW, sign_in_as


async def statuses(client: SupportDeskClient, user_id: str) -> list[str]:
    return [d.status for d in await client.sms_deliveries(user_id)]


async def test_the_t1042_number_is_held_by_the_carrier_then_delivered(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await client.resend_sms_code("u1002", ticket_id="T-1042")
    assert await statuses(client, "u1002") == ["queued"]
    ctx.clock.advance(timedelta(seconds=5))
    assert await statuses(client, "u1002") == ["sent"]
    ctx.clock.advance(timedelta(seconds=30))
    assert await statuses(client, "u1002") == ["sent"]  # still with the carrier
    ctx.clock.advance(timedelta(seconds=45))
    [delivered] = await client.sms_deliveries("u1002")
    assert delivered.status == "delivered" and delivered.final
    assert delivered.updated_at == delivered.at + timedelta(seconds=75)
    assert delivered.phone_masked == "+1 •••-•••-0162"


async def test_the_log_is_newest_first_and_each_entry_keeps_its_own_state(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await client.resend_sms_code("u1002")
    ctx.clock.advance(timedelta(seconds=80))
    await client.resend_sms_code("u1002")
    assert await statuses(client, "u1002") == ["queued", "delivered"]


async def test_a_filtered_text_comes_back_undelivered_with_the_carriers_reason(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await client.resend_sms_code("u1010")  # Harpreet Gill's backup cell
    ctx.clock.advance(timedelta(seconds=10))
    [failed] = await client.sms_deliveries("u1010")
    assert failed.status == "undelivered"
    assert failed.reason == "Message filtered by the carrier"
    assert failed.reason_code == "30007"


async def test_an_ordinary_mobile_is_delivered_within_seconds(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    await client.resend_sms_code("u1014")  # Fiona McLeod, a UK mobile
    ctx.clock.advance(timedelta(seconds=6))
    assert await statuses(client, "u1014") == ["delivered"]


async def test_the_carrier_refuses_countries_off_the_list_before_sending() -> None:
    carrier = SimulatedCarrier()
    with pytest.raises(SmsGatewayError) as refused:
        await carrier.send(OutgoingSms("+5519991234567", "x", "1"), FROZEN_NOW)
    assert refused.value.code == "21408"
    assert "region of this number" in refused.value.reason


async def test_the_carrier_accepts_a_landline_and_then_fails_it() -> None:
    carrier = SimulatedCarrier()
    receipt = await carrier.send(OutgoingSms("+441134960123", "x", "1"), FROZEN_NOW)
    assert receipt.state.status == "queued"
    later = FROZEN_NOW + timedelta(seconds=7)
    state = await carrier.poll(receipt.provider_ref, "+441134960123", FROZEN_NOW, later)
    assert state is not None
    assert (state.status, state.reason, state.reason_code) == (
        "undelivered",
        "Landline or unreachable carrier",
        "30006",
    )


async def test_the_carrier_is_deterministic_per_number() -> None:
    one, two = SimulatedCarrier(), SimulatedCarrier()
    for number in ("+15055550162", "+447700154872", "+380675142288", "+441134960123"):
        for seconds in (0, 3, 10, 50, 90):
            at = FROZEN_NOW + timedelta(seconds=seconds)
            assert await one.poll("a", number, FROZEN_NOW, at) == await two.poll(
                "b", number, FROZEN_NOW, at
            )
