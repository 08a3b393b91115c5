"""Tickets carry their branch: the classifier's guess, and the agent's correction, which
is audited and kept (with the ticket's words) for the lead and the next model."""

from __future__ import annotations

import json

import pytest

from supportdesk.api import errors
from supportdesk.api.client import SupportDeskClient
from supportdesk.rules.tree import Branch
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.ticket_triage import store_arrival_triage
from supportdesk.triage import Guess, Triage
from tests.service.support import audit_rows, second_client
from tests.support import sign_in_as


@pytest.fixture(autouse=True)
async def _signed_in(any_client: SupportDeskClient, any_ctx: ServiceContext) -> None:
    await sign_in_as(any_client, any_ctx, "demo-agent")


async def test_every_queued_ticket_carries_a_branch_and_a_confidence(
    any_client: SupportDeskClient,
) -> None:
    queue = await any_client.list_tickets()
    assert queue and all(t.triage is not None for t in queue)
    by_id = {t.id: t.triage for t in queue}
    lost = by_id["T-1050"]
    assert lost is not None and (lost.branch, lost.unsure) == ("lost_device", False)
    assert 0.5 <= lost.confidence <= 1 and lost.top[0].branch == "lost_device"
    assert len(lost.top) == 2 and lost.top[1].confidence <= lost.confidence


async def test_a_guess_stored_on_arrival_is_what_the_ticket_shows(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    unsure = Triage(top=(Guess(Branch.SETUP_HELP, 0.41), Guess(Branch.NOT_MFA, 0.32)))
    async with any_ctx.engine.begin() as conn:
        await store_arrival_triage(conn, "T-1042", unsure, at=any_ctx.clock.now())
    triage = (await any_client.get_ticket("T-1042")).triage
    assert triage is not None
    assert (triage.branch, triage.unsure) == ("unsure", True)
    assert [(g.branch, g.confidence) for g in triage.top] == [
        ("setup_help", 0.41),
        ("not_mfa", 0.32),
    ]


async def test_a_correction_is_audited_shown_and_exported_to_leads_only(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    ticket = await any_client.correct_branch("T-1042", "code_not_accepted")
    assert ticket.correction is not None
    assert (ticket.correction.branch, ticket.correction.guessed, ticket.correction.by) == (
        "code_not_accepted",
        "sms_not_received",
        "demo-agent",
    )
    same = await any_client.correct_branch("T-1042", "code_not_accepted")
    assert same.correction == ticket.correction  # the branch already shown: nothing new
    [entry] = await audit_rows(any_ctx, action="ticket.branch_corrected")
    assert entry["ticket_id"] == "T-1042" and entry["target_user"] == ticket.user_id
    assert json.loads(entry["detail"]) == {
        "guessed": "sms_not_received",
        "branch": "code_not_accepted",
    }
    with pytest.raises(errors.ApiError) as refused:
        await any_client.branch_corrections()
    assert refused.value.status == 403
    lead = await second_client(any_ctx, "demo-lead")
    async with lead:
        [example] = await lead.branch_corrections()
    assert (example.ticket_id, example.branch, example.guessed) == (
        "T-1042",
        "code_not_accepted",
        "sms_not_received",
    )
    assert example.text == ticket.text


async def test_an_unknown_branch_is_refused_by_name(any_client: SupportDeskClient) -> None:
    with pytest.raises(errors.InvalidInput, match="unknown branch 'printer'") as bad:
        await any_client.correct_branch("T-1042", "printer")
    assert bad.value.field == "branch"
    with pytest.raises(errors.NotFound):
        await any_client.correct_branch("T-0000", "not_mfa")


def test_the_embedded_service_starts_without_the_classifier() -> None:
    """The desk imports the embedded service after its first frame; the classifier (and
    scikit-learn) load only when the first ticket is read, in a thread."""
    import subprocess
    import sys

    child = (
        "import sys, supportdesk.embedded\n"
        "print(sorted(m for m in ('supportdesk.triage', 'sklearn', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"
