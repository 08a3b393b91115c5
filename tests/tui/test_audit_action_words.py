"""The lead reads every audit action in words: none the service can write shows as a bare
code. The service's vocabulary is `service/audit/actions.py`, which `Entry` enforces."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from supportdesk.service.audit import Actor, Entry
from supportdesk.service.audit.actions import ACTIONS
from supportdesk.tui.words.outcomes import AUDIT_ACTION_WORDS, action_words

SERVICE = Path(__file__).parents[2] / "supportdesk" / "service"
ACTION_SHAPE = re.compile(r"[a-z_]+(\.[a-z_]+)+")


def literals(node: ast.expr | None) -> list[str]:
    """The action names a value may be: a literal, or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return literals(node.body) + literals(node.orelse)
    return []


def named_action(node: ast.keyword | ast.AnnAssign) -> bool:
    """`action=…` in a call, or an `action: str = …` field."""
    if isinstance(node, ast.keyword):
        return node.arg == "action"
    return getattr(node.target, "id", "") == "action"


def actions_named_in_service_code() -> dict[str, str]:
    """Each action spelled out in the service's code (an `Entry`'s action, an `action=`
    argument, an `action` field's default), with where it stands."""
    found: dict[str, str] = {}
    for path in sorted(SERVICE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[str] = []
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Entry":
                values = literals(node.args[1]) if len(node.args) > 1 else []
            elif isinstance(node, ast.keyword | ast.AnnAssign) and named_action(node):
                values = literals(node.value)
            for value in values:
                if ACTION_SHAPE.fullmatch(value):
                    found.setdefault(value, f"{path.relative_to(SERVICE)}:{node.lineno}")
    return found


def test_every_action_the_service_writes_has_words() -> None:
    assert sorted(a for a in ACTIONS if a not in AUDIT_ACTION_WORDS) == []
    assert action_words("enduser.signin") == "end user's sign-in"


def test_every_action_spelled_in_the_service_is_in_its_vocabulary() -> None:
    named = actions_named_in_service_code()
    assert {"agent.signin", "sms.send", "sms.resend", "enduser.signin"} <= named.keys()
    assert {a: where for a, where in named.items() if a not in ACTIONS} == {}


def test_an_entry_with_an_action_outside_the_vocabulary_is_refused() -> None:
    with pytest.raises(ValueError, match="not an audit action"):
        Entry(Actor(name="demo-agent", role="agent"), "factor.vanish", "success")
