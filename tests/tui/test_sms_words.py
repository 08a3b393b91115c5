"""The SMS screen's wording, from the wire models alone: what the agent reads."""

from __future__ import annotations

from datetime import UTC, datetime

from supportdesk.api.sms import NumberCheck, NumberFacts, SmsDelivery, SmsFactorFacts
from supportdesk.tui.words.sms import (
    Progress,
    delivery_status,
    number_card,
    step_country,
    step_resend,
    step_switch,
    verdict_line,
)

AT = datetime(2026, 11, 27, 15, 42, tzinfo=UTC)


def facts(**changes: object) -> NumberFacts:
    base: dict[str, object] = {
        "masked": "+1 •••-•••-0162",
        "country_code": 1,
        "region": "US",
        "country": "United States",
        "valid": True,
        "possible": True,
        "line_type": "fixed_line_or_mobile",
        "sms_capability": "maybe",
        "can_receive_sms": True,
        "sms_country_supported": True,
    }
    return NumberFacts.model_validate(base | changes)


def factor(number: NumberFacts | None, refusal: str | None = None) -> SmsFactorFacts:
    return SmsFactorFacts(
        factor_id="f1", label="Cell [b]", number=number, can_send=refusal is None, refusal=refusal
    )


def progress(**changes: object) -> Progress:
    base: dict[str, object] = {
        "factor": factor(facts()),
        "check": None,
        "latest": None,
        "wait_s": 0,
        "switched": False,
        "has_authenticator": False,
    }
    return Progress(**(base | changes))  # type: ignore[arg-type]


def test_the_card_says_what_the_number_is_and_escapes_labels() -> None:
    card = number_card(factor(facts()), more=1)
    assert "Cell \\[b]" in card
    assert "United States (US)" in card and "on the SMS list" in card
    assert "(+1 more SMS method)" in card
    manx = facts(region="IM", country="Isle of Man", sms_country_supported=False)
    assert "not on the SMS list of 27 countries" in number_card(factor(manx))
    assert "cannot be read" in number_card(factor(None))
    assert "No SMS method on file" in number_card(None)


def test_each_verdict_reads_as_advice() -> None:
    def check(verdict: str, stated: NumberFacts) -> NumberCheck:
        return NumberCheck.model_validate(
            {
                "factor_id": "f1",
                "verdict": verdict,
                "matches": verdict.startswith("same"),
                "stated": stated,
            }
        )

    on_file = facts()
    mexico = facts(country_code=52, region="MX", country="Mexico", masked="+52 ••• ••• 0162")
    assert verdict_line(check("same", on_file), on_file).endswith("Same number as on file.")
    assert "written differently" in verdict_line(check("same_other_notation", on_file), on_file)
    shifted = verdict_line(check("differs_country_code", mexico), on_file)
    assert "another country code: +52 (on file +1)" in shifted
    assert "wrong country" in shifted
    differs = verdict_line(check("differs", mexico), on_file)
    assert "Not the number on file" in differs and "Mexico (MX)" in differs


def test_the_resend_step_counts_down_and_reports_the_carrier() -> None:
    assert step_resend(progress(wait_s=12)).endswith("next code in 12 s[/b]")
    undelivered = SmsDelivery(
        id=1,
        factor_id="f1",
        at=AT,
        updated_at=AT,
        phone_masked="+1 •••-•••-0162",
        status="undelivered",
        reason="Landline or unreachable carrier",
        reason_code="30006",
        final=True,
    )
    line = step_resend(progress(latest=undelivered))
    assert "✕ undelivered: Landline or unreachable carrier (30006)" in line
    assert delivery_status(undelivered).startswith("✕ undelivered")
    refused = progress(factor=factor(facts(), refusal="SMS codes are not sent to Brazil"))
    assert "not sent to Brazil" in step_resend(refused)


def test_country_and_switch_steps() -> None:
    brazil = facts(region="BR", country="Brazil", sms_country_supported=False)
    assert "Brazil (BR) is not on it" in step_country(progress(factor=factor(brazil)))
    assert "Switch to the authenticator app (t)" in step_switch(progress())
    assert "choose it at sign-in" in step_switch(progress(has_authenticator=True))
    assert "set up at the next sign-in" in step_switch(progress(switched=True))
