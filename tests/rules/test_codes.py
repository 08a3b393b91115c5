"""Typed codes: what an agent types from a phone call means the same code everywhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportdesk.rules.codes import CodeShape, code_problem, normalise_code


@pytest.mark.parametrize(
    "typed",
    [
        "451909",
        "451 909",
        " 451 909 ",
        "451-909",
        "45 19 09",
        "４５１９０９",
        "451\u00a0909",
        "451–909",
    ],
)
def test_every_way_of_typing_a_code_reads_the_same(typed: str) -> None:
    assert normalise_code(typed) == "451909"
    assert code_problem(typed) is None


@pytest.mark.parametrize(
    ("typed", "says"),
    [("45190", "5 digits"), ("4519090", "7 digits"), ("45l909", "not a code"), ("", "Type the")],
)
def test_a_code_of_the_wrong_shape_is_refused_with_the_rule(typed: str, says: str) -> None:
    assert normalise_code(typed) is None
    problem = code_problem(typed)
    assert problem is not None and says in problem and "6 digits" in problem


def test_other_lengths_follow_the_shape() -> None:
    eight = CodeShape(digits=8, what="backup code")
    assert normalise_code("1234 5678", eight) == "12345678"
    assert "backup code is 8 digits" in (code_problem("1234", eight) or "")


@given(st.text(alphabet="0123456789", min_size=6, max_size=6), st.sampled_from([" ", "-", ""]))
def test_grouping_never_changes_the_code(code: str, sep: str) -> None:
    assert normalise_code(code[:3] + sep + code[3:]) == code
