"""The queue's branch words and what the reply screen offers first, for each kind of ticket."""

from __future__ import annotations

from datetime import UTC, datetime

from supportdesk.api.models import BranchCorrection, BranchGuess, Ticket, TicketTriage
from supportdesk.tui.words.branches import branch_cell, branch_line, shown_branch
from supportdesk.tui.words.replies import NOT_MFA_REPLY, separator, snippets_for

AT = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def ticket(triage: TicketTriage | None, correction: BranchCorrection | None = None) -> Ticket:
    return Ticket(
        id="T-1",
        user_id="u1",
        user_name="Ana Ruiz",
        company="Meseta",
        channel="email",
        subject="s",
        text="t",
        created_at=AT,
        status="open",
        outcome=None,
        note=None,
        resolved_by=None,
        resolved_at=None,
        triage=triage,
        correction=correction,
    )


def triage(*top: tuple[str, float], unsure: bool = False) -> TicketTriage:
    return TicketTriage(
        branch="unsure" if unsure else top[0][0],
        confidence=top[0][1],
        unsure=unsure,
        top=[BranchGuess(branch=b, confidence=c) for b, c in top],
        source="model",
    )


def test_a_sure_guess_shows_its_branch_and_confidence() -> None:
    t = ticket(triage(("lost_device", 0.981), ("why_prompted", 0.01)))
    assert branch_cell(t) == "Lost device 98%"
    assert branch_line(t) == "Lost phone or security key · 98% sure"
    assert shown_branch(t) == "lost_device"


def test_an_unsure_guess_names_the_top_two_and_acts_on_neither() -> None:
    t = ticket(triage(("setup_help", 0.41), ("not_mfa", 0.32), unsure=True))
    assert branch_cell(t) == "? Setup/Not MFA"
    assert branch_line(t) == "Unsure: Setting up MFA (a question) 41% or Not about MFA 32%"
    assert shown_branch(t) == "unsure"


def test_the_agents_correction_wins_over_the_guess() -> None:
    fixed = BranchCorrection(
        branch="code_not_accepted", guessed="sms_not_received", by="dana", at=AT
    )
    t = ticket(triage(("sms_not_received", 0.8), ("why_prompted", 0.1)), fixed)
    assert branch_cell(t) == "✎ App code"
    assert shown_branch(t) == "code_not_accepted"
    assert "chosen by dana" in branch_line(t)


def test_the_reply_offers_the_explanation_then_what_the_words_find() -> None:
    found = snippets_for(
        "Can I use Bitwarden?", "for the codes", "setup_help", explanation="Hi Ana, because…"
    )
    assert [s.id for s in found[:2]] == ["explanation", "password_managers"]
    assert len({s.id for s in found}) == len(found)


def test_a_ticket_not_about_mfa_is_offered_the_routing_sentence_first() -> None:
    found = snippets_for("Passwort vergessen", "zurücksetzen", "not_mfa")
    assert found[0].text == NOT_MFA_REPLY


def test_the_sms_answer_opens_with_the_users_own_country() -> None:
    found = snippets_for("sms not coming", "no code", "sms_not_received", region="BR")
    countries = next(s for s in found if s.id == "sms_countries")
    assert countries.text.startswith("Brazil is not on the list")


def test_an_inserted_answer_is_its_own_paragraph() -> None:
    assert separator("") == ""
    assert separator("Hi Ana,") == "\n\n"
    assert separator("Hi Ana,\n") == "\n"
    assert separator("Hi Ana,\n\n") == ""
