"""The desk's first guess at a ticket's branch, from the user's own words."""

from __future__ import annotations

import pytest

from supportdesk.rules.tree import Branch, suggest_branch
from supportdesk.service.demo.world import demo_world


@pytest.mark.parametrize(
    ("text", "branch"),
    [
        ("I'm not getting the text code", Branch.SMS_NOT_RECEIVED),
        ("The app says my code is invalid", Branch.CODE_NOT_ACCEPTED),
        ("I lost my phone on the road", Branch.LOST_DEVICE),
        ("Left my YubiKey at the hotel", Branch.LOST_DEVICE),
        ("Why does it keep asking me for a code?", Branch.WHY_PROMPTED),
        ("Our integration account can't do MFA", Branch.SERVICE_ACCOUNT),
        ("Our broker portal keyboard shortcuts changed", None),
        ("Invoice totals look off this month", None),
    ],
)
def test_suggested_branch_follows_the_users_words(text: str, branch: Branch | None) -> None:
    assert suggest_branch(text) == branch


def test_demo_tickets_are_suggested_their_intended_branches() -> None:
    world = demo_world()
    tickets = {t.id: t for t in world.tickets}
    expected = {
        world.notes["sms_ticket"]: Branch.SMS_NOT_RECEIVED,
        world.notes["code_invalid_ticket"]: Branch.CODE_NOT_ACCEPTED,
        world.notes["lost_phone_ticket"]: Branch.LOST_DEVICE,
        world.notes["why_prompted_ticket"]: Branch.WHY_PROMPTED,
        world.notes["service_account_ticket"]: Branch.SERVICE_ACCOUNT,
    }
    for ticket_id, branch in expected.items():
        ticket = tickets[ticket_id]
        assert suggest_branch(f"{ticket.subject}\n{ticket.text}") == branch, ticket_id
