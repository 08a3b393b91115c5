"""bench/ is scripts, not a package, so import-linter cannot see it: this reads their
imports instead. Benchmarks call operations (or go through the real API via the embedded
client), never the HTTP layer as a library."""

from __future__ import annotations

import ast
from pathlib import Path

BENCH = Path(__file__).parent.parent / "bench"
FORBIDDEN = ("supportdesk.service.http", "supportdesk.service.routers", "fastapi")
"""The HTTP layer (and where the routers lived before it had one)."""


def imported(source: str) -> set[str]:
    """Every module a script imports, anywhere in it (code run by a child process too)."""
    names: set[str] = set()
    trees = [ast.parse(source)]
    for tree in list(trees):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    trees.append(ast.parse(node.value))
                except SyntaxError:
                    continue
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
    return names


def test_benchmarks_never_import_the_http_layer() -> None:
    scripts = sorted(BENCH.glob("*.py"))
    assert scripts, "bench/ has scripts"
    for script in scripts:
        found = imported(script.read_text(encoding="utf-8"))
        bad = sorted(n for n in found if n.startswith(FORBIDDEN))
        assert not bad, f"{script.name} imports {bad}"


def test_the_check_sees_an_import_in_a_child_process_script() -> None:
    code = 'CHILD = """\nfrom supportdesk.service.http.app import build_app\n"""\n'
    assert "supportdesk.service.http.app" in imported(code)
