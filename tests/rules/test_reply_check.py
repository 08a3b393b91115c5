"""The reply check stops codes, seeds, access codes and full phone numbers, and lets
ordinary support replies through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportdesk.rules.reply_check import check_reply
from supportdesk.service.security import new_access_code


def kinds(text: str) -> list[str]:
    return [p.kind for p in check_reply(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Your code is 451909, type it now.",
        "Try 451 909 again",
        "Use 451-909.",
        "Code: 45 19 09",
        "The backup code 1234 5678 works once.",
        "Enter 12345678 in the app",
    ],
)
def test_one_time_codes_are_stopped(text: str) -> None:
    assert kinds(text) == ["one_time_code"]


@pytest.mark.parametrize(
    "text",
    [
        "Your secret is JBSWY3DPEHPK3PXP",
        "Type JBSW Y3DP EHPK 3PXP into the app",
        "key: jbsw y3dp ehpk 3pxp",
        "Scan otpauth://totp/Alvys:ana?secret=JBSWY3DPEHPK3PXP&issuer=Alvys",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====",
        "seed 3f2a9c0b7d1e4a5b6c8d9e0f1a2b3c4d5e6f7a8b",
    ],
)
def test_authenticator_seeds_are_stopped(text: str) -> None:
    assert kinds(text) == ["totp_seed"]


def test_access_codes_in_the_desks_format_are_stopped() -> None:
    code = new_access_code()
    assert kinds(f"Sign in with {code} within the hour.") == ["access_code"]


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@given(st.text(alphabet=_CODE_ALPHABET, min_size=12, max_size=12))
def test_any_code_the_desk_can_issue_is_stopped_however_it_is_typed(raw: str) -> None:
    # Letters only ("NGLM-XQWZ-KKKY") is one code in 32 and must be stopped as well.
    dashed = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    assert kinds(f"Sign in with {dashed}.") == ["access_code"]
    assert kinds(f"Sign in with {dashed.lower()}.") == ["access_code"]
    if any(c.isalpha() for c in raw):
        assert kinds(f"Sign in with {raw}.") == ["access_code"]


@pytest.mark.parametrize(
    "text",
    [
        "Sign in with NGLM-XQWZ-KKKY.",
        "Sign in with nglm-xqwz-kkky.",
        "Sign in with NGLMXQWZKKKY.",
        "Sign in with NGLM XQWZ KKKY.",
        "Sign in with nglm xqwz kkky.",
        "Sign in with ab3d efgh jkmn.",
    ],
)
def test_letter_only_and_lower_case_codes_are_stopped(text: str) -> None:
    assert kinds(text) == ["access_code"]


@pytest.mark.parametrize(
    "text",
    [
        "Call us back on +44 20 7946 0958.",
        "Your number on file is +48 601 234 567",
        "We texted 020 7946 0958",
        "Tel. 0612345678",
        "+1 415-555-0132",
        "+44 7700 900123",
    ],
)
def test_full_phone_numbers_are_stopped(text: str) -> None:
    assert kinds(text) == ["phone_number"]


@pytest.mark.parametrize(
    "text",
    [
        "We send codes to the number ending •••• 1234.",
        "Your number +44 •••• ••0123 is on file.",
        "About ticket T-1042 and T-104211: fixed.",
        "User u1023 signed in on 2026-11-27 at 15:42.",
        "Your phone's clock was 4 minutes behind; it is fixed now.",
        "Make sure that your app is up to date, then try again.",
        "THIS CODE WILL WORK AFTER THE UPDATE.",
        "Internationalization settings are under Preferences.",
        "Open https://alvys.example/help/mfa#set-up and follow step 3.",
        "Error 403 means the session ended; order #98765 is unrelated.",
        "Fixed in version 2.3.19.1 on 27.11.2026 (27-11-26), 12.50 EUR, 1,000,000 users.",
        "Call between 09:00 and 17:30.",
    ],
)
def test_ordinary_replies_pass(text: str) -> None:
    assert check_reply(text) == []


def test_each_problem_says_where_it_is_and_never_repeats_the_value() -> None:
    text = "Code 451909, seed JBSWY3DPEHPK3PXP, phone +48 601 234 567."
    problems = check_reply(text)
    assert [p.kind for p in problems] == ["one_time_code", "totp_seed", "phone_number"]
    assert [text[p.start : p.end] for p in problems] == [
        "451909",
        "JBSWY3DPEHPK3PXP",
        "+48 601 234 567",
    ]
    for problem in problems:
        assert text[problem.start : problem.end] not in problem.message
        assert problem.message
