"""Branch 4: the desk can tell a user which risk signal made Alvys ask for a code."""

from __future__ import annotations

import pytest

from supportdesk.api import errors
from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.world import demo_world
from tests.support import sign_in_as

NOTES = demo_world().notes


async def test_impossible_travel_is_named_for_the_lagos_sign_in(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    report = await client.why_prompted("u1003")
    assert report.latest_prompt is not None
    fired = {s.signal for s in report.latest_prompt.signals}
    assert "impossible_travel" in fired
    assert "Lagos" in report.latest_prompt.place


async def test_each_why_ticket_user_has_a_signal_on_their_last_prompt(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    ticket = await client.get_ticket(NOTES["why_prompted_ticket"])
    report = await client.why_prompted(ticket.user_id)
    assert report.latest_prompt is not None and report.latest_prompt.signals
    assert report.signins[0].at >= report.signins[-1].at


async def test_an_untrusted_ip_is_reported(client: SupportDeskClient, ctx: ServiceContext) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    report = await client.why_prompted("u1019")
    assert any(s.signal == "untrusted_ip" for r in report.signins for s in r.signals)


async def test_unknown_user_and_no_token_are_refused(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    with pytest.raises(errors.Unauthorised):
        await client.why_prompted("u1003")
    await sign_in_as(client, ctx, "demo-agent")
    with pytest.raises(errors.NotFound):
        await client.why_prompted("u9999")
