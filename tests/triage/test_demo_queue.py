"""Every ticket of the demo queue lands in its branch, with the classifier confident.

The expected branch of each demo ticket is written out here, one by one, so a ticket
added to the demo world fails this test until someone says where it belongs.
"""

from __future__ import annotations

from supportdesk.rules.tree import Branch
from supportdesk.service.demo.world import demo_world
from supportdesk.triage import TriageModel, ticket_text

EXPECTED: dict[str, Branch] = {
    "T-1042": Branch.SMS_NOT_RECEIVED,  # "I'm not getting the text code"
    "T-1043": Branch.SMS_NOT_RECEIVED,  # Brazil: not an SMS country
    "T-1044": Branch.SMS_NOT_RECEIVED,  # Isle of Man mobile
    "T-1045": Branch.SMS_NOT_RECEIVED,  # a landline on file
    "T-1046": Branch.SMS_NOT_RECEIVED,  # Spanish and English, Dominican Republic
    "T-1047": Branch.CODE_NOT_ACCEPTED,  # slow phone clock
    "T-1048": Branch.CODE_NOT_ACCEPTED,  # time set by hand after the change
    "T-1049": Branch.LOST_DEVICE,  # lost phone, asks about the USB key too
    "T-1050": Branch.LOST_DEVICE,  # stolen phone, only method
    "T-1051": Branch.LOST_DEVICE,  # lost YubiKey
    "T-1052": Branch.LOST_DEVICE,  # admin, phone in the lake
    "T-1053": Branch.WHY_PROMPTED,  # trade show in another city
    "T-1054": Branch.WHY_PROMPTED,  # a code nobody asked for
    "T-1055": Branch.WHY_PROMPTED,  # VPN
    "T-1056": Branch.WHY_PROMPTED,  # new laptop
    "T-1057": Branch.WHY_PROMPTED,  # asked again after an MFA reset
    "T-1058": Branch.SERVICE_ACCOUNT,  # ELD integration user
    "T-1059": Branch.SERVICE_ACCOUNT,  # load-board bot
    "T-1060": Branch.SETUP_HELP,  # first day, can MFA setup be skipped?
    "T-1061": Branch.SMS_NOT_RECEIVED,  # Lithuania, colleagues get theirs
    "T-1062": Branch.SETUP_HELP,  # Bitwarden for the codes?
    "T-1063": Branch.NOT_MFA,  # German: forgotten password, not MFA
}


def test_every_demo_ticket_has_an_expected_branch() -> None:
    assert {t.id for t in demo_world().tickets} == set(EXPECTED)


def test_demo_queue_tickets_land_in_their_branch(triage_model: TriageModel) -> None:
    tickets = demo_world().tickets
    answers = triage_model.classify_many([ticket_text(t.subject, t.text) for t in tickets])
    wrong = {
        t.id: (EXPECTED[t.id].value, a.code, [(g.branch.value, g.confidence) for g in a.top])
        for t, a in zip(tickets, answers, strict=True)
        if a.branch != EXPECTED[t.id]
    }
    assert wrong == {}
