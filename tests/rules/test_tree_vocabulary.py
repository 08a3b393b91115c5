"""The tree's vocabulary: every branch has a title, and the keyword guesser stays the
fallback it was (the trained classifier lives in supportdesk.triage)."""

from __future__ import annotations

import pytest

from supportdesk.rules.tree import BRANCH_TITLES, Branch, suggest_branch


def test_every_branch_has_a_title() -> None:
    assert set(BRANCH_TITLES) == set(Branch)
    assert Branch("setup_help") is Branch.SETUP_HELP
    assert Branch("not_mfa") is Branch.NOT_MFA
    assert Branch("service_account") is Branch.SERVICE_ACCOUNT


@pytest.mark.parametrize(
    ("text", "branch"),
    [
        ("Can I use Bitwarden?", Branch.SETUP_HELP),
        ("How do I set up a second method?", Branch.SETUP_HELP),
        # Earlier branches still win: these were their branches before setup help existed.
        ("I lost my phone, how do I set up the new one?", Branch.LOST_DEVICE),
        ("I forgot my password", None),  # never "not about MFA" from keywords alone
    ],
)
def test_keyword_guesses_for_the_new_branch(text: str, branch: Branch | None) -> None:
    assert suggest_branch(text) == branch
