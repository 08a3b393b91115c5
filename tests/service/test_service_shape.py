"""The service's shape (issue 10): small routers, small modules, one place for audit entries."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICE = Path(__file__).parent.parent.parent / "supportdesk" / "service"
PURE_DATA = {SERVICE / "demo" / "world.py"}
"""Modules that are rows of data, not code (the demo world's people and tickets)."""


def test_no_router_function_is_over_40_lines() -> None:
    long = []
    for path in sorted((SERVICE / "http" / "routers").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 40:
                    long.append(f"{path.name}:{node.name} ({lines} lines)")
    assert not long


def test_no_service_module_is_over_400_lines() -> None:
    big = [
        f"{p.relative_to(SERVICE)} ({n})"
        for p in sorted(SERVICE.rglob("*.py"))
        if p not in PURE_DATA and (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    ]
    assert not big


def test_only_the_audit_package_appends_to_the_log() -> None:
    """Operations and the demo build entries with `audit.entries` and `record` them."""
    callers = []
    for path in sorted(SERVICE.rglob("*.py")):
        if path.parent.name == "audit":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name == "append_audit":
                    callers.append(str(path.relative_to(SERVICE)))
    assert not callers


def test_recovery_actions_is_gone() -> None:
    assert not (SERVICE / "recovery_actions.py").exists()
