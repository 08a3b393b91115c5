"""The article's quick answers: complete, checked against the user's country, findable."""

from __future__ import annotations

import pytest

from supportdesk.rules.quick_answers import (
    QUICK_ANSWERS,
    answers_for_branch,
    quick_answer,
    search_quick_answers,
    sms_country_check,
)
from supportdesk.rules.sms_countries import SMS_COUNTRY_NAMES
from supportdesk.rules.tree import Branch

REQUIRED = {
    "sms_countries",
    "service_accounts",
    "travelling",
    "password_managers",
    "adaptive_mfa",
    "setup_authenticator",
    "setup_sms",
    "setup_security_key",
    "second_method",
    "security_keys",
}


def test_the_issue_s_answers_are_all_there_with_unique_ids() -> None:
    ids = [a.id for a in QUICK_ANSWERS]
    assert len(ids) == len(set(ids))
    assert set(ids) >= REQUIRED
    for answer in QUICK_ANSWERS:
        assert answer.title and answer.keywords and answer.branches
        assert len(answer.text) > 80, answer.id
        assert "{" not in answer.text and "TODO" not in answer.text


def test_the_sms_answer_names_every_country_of_the_article() -> None:
    text = quick_answer("sms_countries").text
    assert all(name in text for name in SMS_COUNTRY_NAMES.values())


def test_the_password_manager_answer_names_the_article_s_managers() -> None:
    text = quick_answer("password_managers").text
    assert all(name in text for name in ("1Password", "Keeper", "Bitwarden"))


def test_an_unknown_id_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        quick_answer("no_such_answer")


def test_setup_help_offers_the_setup_answers() -> None:
    offered = {a.id for a in answers_for_branch(Branch.SETUP_HELP)}
    assert offered >= {"password_managers", "second_method", "setup_authenticator", "mfa_required"}
    assert {a.id for a in answers_for_branch(Branch.SERVICE_ACCOUNT)} == {"service_accounts"}
    assert answers_for_branch(Branch.NOT_MFA) == ()


@pytest.mark.parametrize(
    ("region", "phone", "country", "supported"),
    [
        ("PL", None, "Poland", True),
        ("gb", None, "United Kingdom", True),
        ("BR", None, "Brazil", False),
        (None, "+1 809 555 0100", "Dominican Republic", False),  # +1, but not the US
        (None, "+44 7624 123456", "Isle of Man", False),  # +44, but not the UK
        ("US", "+49 151 23456789", "Germany", True),  # the number's country decides
    ],
)
def test_the_users_own_country_is_checked_against_the_list(
    region: str | None, phone: str | None, country: str, supported: bool
) -> None:
    check = sms_country_check(region, phone=phone)
    assert (check.country, check.supported) == (country, supported)
    assert check.text.startswith(country)
    assert check.text.endswith(quick_answer("sms_countries").text)
    assert check.text.startswith(f"{country} is not on the list") is not supported


@pytest.mark.parametrize(
    ("region", "phone"), [(None, None), ("UK", None), ("", None), (None, "not a number")]
)
def test_an_unknown_country_gets_the_plain_list(region: str | None, phone: str | None) -> None:
    check = sms_country_check(region, phone=phone)
    assert check.country is None and not check.supported
    assert check.text == quick_answer("sms_countries").text


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("bitwarden", "password_managers"),
        ("BITWARDEN", "password_managers"),
        ("bitwardn", "password_managers"),  # a typo
        ("can I use a password manager", "password_managers"),
        ("service acount", "service_accounts"),  # a typo
        ("integration", "service_accounts"),
        ("travel", "travelling"),
        ("podróż", "travelling"),
        ("podroz", "travelling"),  # without the accents
        ("adaptive", "adaptive_mfa"),
        ("yubikey setup", "setup_security_key"),
        ("second method", "second_method"),
        ("sms countries", "sms_countries"),
        ("skip mfa", "mfa_required"),
        ("set up authenticator", "setup_authenticator"),
        ("bitw", "password_managers"),  # a prefix
        ("authenticatr app setup", "setup_authenticator"),  # a typo
    ],
)
def test_search_finds_the_answer_first(query: str, first: str) -> None:
    assert search_quick_answers(query)[0].id == first


def test_search_without_words_lists_everything_and_nonsense_finds_nothing() -> None:
    assert search_quick_answers("") == list(QUICK_ANSWERS)
    assert search_quick_answers("how do I", limit=2) == list(QUICK_ANSWERS[:2])
    assert search_quick_answers("qqqqzzzz") == []
    assert len(search_quick_answers("code", limit=3)) == 3
