"""Issue 9: a ticket whose request waits for a lead says so, for the queue to mark it."""

from __future__ import annotations

from supportdesk.api.client import SupportDeskClient
from supportdesk.embedded import client_for
from supportdesk.rules.policy import Action
from supportdesk.service.context import ServiceContext
from tests.service.support import email_verification
from tests.support import sign_in_as


async def test_the_ticket_awaits_a_lead_while_its_request_is_pending(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    """T-1052: an agent's reset of admin u1004 is filed for a lead."""
    await sign_in_as(client, ctx, "demo-agent")
    assert not (await client.get_ticket("T-1052")).awaiting_lead
    verified = await email_verification(client, ctx, "u1004", "T-1052")
    filed = await client.recover(
        Action.RESET_MFA,
        "u1004",
        ticket_id="T-1052",
        reason="Admin lost her only factor",
        checks=["account_owner_callback"],
        verification_ids=[verified],
    )
    assert filed.status == "pending_approval" and filed.approval is not None
    queue = {t.id: t.awaiting_lead for t in await client.list_tickets()}
    assert queue["T-1052"] is True
    assert sum(queue.values()) == 1, "only the ticket with the request"
    assert (await client.get_ticket("T-1052")).awaiting_lead

    async with client_for(ctx) as lead:
        await sign_in_as(lead, ctx, "demo-lead")
        await lead.approve(filed.approval.id, "Called her back")
    assert not (await client.get_ticket("T-1052")).awaiting_lead
