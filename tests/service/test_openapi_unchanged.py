"""The service's OpenAPI document is the one before the layers (issue 10), apart from
additions: every operation, path, parameter and schema of then is there, unchanged.

`tests/data/openapi-before-issue-10.json` was dumped from the service before the move,
then changed on purpose once (issue 11), where the old document was wrong: every 422
now shows the body the service really sends (`ErrorBody`, not FastAPI's unused
`HTTPValidationError`), and the audit's `before`, `after`, `seqs` and `max_rows` are
bounded to 64 bits (larger values were a 500, now a 422).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from supportdesk.service.http.app import build_app

BEFORE = Path(__file__).parent.parent / "data" / "openapi-before-issue-10.json"


def _key(item: Any) -> Any:
    """List items are matched by what names them (parameters: name and place)."""
    if isinstance(item, dict) and "name" in item and "in" in item:
        return (item["name"], item["in"])
    return json.dumps(item, sort_keys=True)


def missing(before: Any, now: Any, where: str = "") -> list[str]:
    """What of `before` is not in `now`: additions are allowed, changes and losses not.

    A list of required fields may not grow (a new required field breaks old callers).
    """
    if isinstance(before, dict):
        if not isinstance(now, dict):
            return [f"{where}: was an object"]
        found: list[str] = []
        for key, value in before.items():
            if key not in now:
                found.append(f"{where}/{key}: gone")
            else:
                found.extend(missing(value, now[key], f"{where}/{key}"))
        if isinstance(before.get("required"), list) and isinstance(now.get("required"), list):
            grown = set(now["required"]) - set(before["required"])
            found.extend(f"{where}/required: {name} is newly required" for name in sorted(grown))
        return found
    if isinstance(before, list):
        if not isinstance(now, list):
            return [f"{where}: was a list"]
        if where.endswith("/required"):
            return [f"{where}: {x} no longer required" for x in before if x not in now]
        by_key = {_key(item): item for item in now}
        found = []
        for item in before:
            if _key(item) not in by_key:
                found.append(f"{where}: {_key(item)} gone")
            else:
                found.extend(missing(item, by_key[_key(item)], f"{where}[{_key(item)}]"))
        return found
    if before == now or _prose_grew(where, before, now):
        return []
    return [f"{where}: {before!r} became {now!r}"]


def _prose_grew(where: str, before: Any, now: Any) -> bool:
    """A description that keeps its old text and says more is an addition, not a change."""
    return (
        where.endswith("/description")
        and isinstance(before, str)
        and isinstance(now, str)
        and now.startswith(before)
    )


DELIBERATE = {
    "/components/schemas/Ticket/properties/user_id/type: gone",
}
"""Changes made on purpose: a ticket from a sender who matches no user (issue 15) has no
``user_id`` (it is ``anyOf: string | null`` now); old callers still get a string for
every ticket they could see before."""


def bearer_moved_to_security(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The `authorization` header parameter became a bearer security scheme (issue 13):
    the same header on the wire, now named once in `securitySchemes` and required by each
    operation that took it. Drops the parameter from `before` where `now` requires the
    scheme instead; returns the operations where it does not."""
    schemes = now.get("components", {}).get("securitySchemes", {})
    bearer = {name for name, scheme in schemes.items() if scheme == {**scheme, **BEARER}}
    lost: list[str] = []
    for path, methods in before["paths"].items():
        for method, op in methods.items():
            kept = [p for p in op.get("parameters", []) if _key(p) != ("authorization", "header")]
            if len(kept) == len(op.get("parameters", [])):
                continue
            required = now["paths"][path][method].get("security", [])
            if not any(set(requirement) & bearer for requirement in required):
                lost.append(f"{method} {path}")
            op["parameters"] = kept
            if not kept:
                del op["parameters"]
    return lost


BEARER = {"type": "http", "scheme": "bearer"}


def test_the_document_is_the_same_apart_from_additions() -> None:
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    now = build_app().openapi()
    assert bearer_moved_to_security(before, now) == []
    assert [m for m in missing(before, now) if m not in DELIBERATE] == []


def test_every_operation_of_before_keeps_its_id_and_method() -> None:
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    now = build_app().openapi()

    def operations(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
        return {
            (path, method, op["operationId"])
            for path, methods in doc["paths"].items()
            for method, op in methods.items()
        }

    assert operations(before) <= operations(now)


def test_the_comparison_notices_a_change() -> None:
    """The check itself can fail: a renamed field, a new required one, a lost parameter."""
    before = {
        "a": {"properties": {"x": {"type": "string"}}, "required": ["x"]},
        "p": [{"name": "q", "in": "query"}],
    }
    assert missing(before, {"a": {"properties": {"y": {}}, "required": ["x"]}, "p": []})
    assert missing(before, {**before, "a": {**before["a"], "required": ["x", "z"]}})
    assert missing(before, before) == []


def test_a_description_may_say_more_but_not_something_else() -> None:
    before = {"op": {"description": "Streams entries."}}
    assert missing(before, {"op": {"description": "Streams entries. Chunks say more."}}) == []
    assert missing(before, {"op": {"description": "Returns a list."}})
