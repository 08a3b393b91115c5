"""The OpenAPI document names every refusal an operation can answer (issue 11), so a
client generated from it (and schemathesis in tests/contract) knows each one."""

from __future__ import annotations

from typing import Any

from supportdesk.rules.tree import TICKET_OUTCOMES
from supportdesk.service.http.app import build_app


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    doc = build_app().openapi()
    return [(p, m, op) for p, ms in doc["paths"].items() for m, op in ms.items()]


def test_every_operation_with_a_token_documents_401_and_403() -> None:
    for path, method, op in operations():
        if op.get("security"):
            assert {"401", "403"} <= set(op["responses"]), (method, path)


def test_every_operation_documents_422_and_503_with_the_real_error_body() -> None:
    for path, method, op in operations():
        for status in ("422", "503"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
        assert "Retry-After" in op["responses"]["503"]["headers"]


def test_ids_in_paths_document_404_and_bodies_413() -> None:
    for path, method, op in operations():
        if "{" in path:
            assert "404" in op["responses"], (method, path)
        if "requestBody" in op:
            assert "413" in op["responses"], (method, path)


def test_sign_ins_document_429_with_retry_after() -> None:
    found = {(p, m): op for p, m, op in operations()}
    for key in [("/v1/agent/sessions", "post"), ("/v1/enduser/signin", "post")]:
        assert "Retry-After" in found[key]["responses"]["429"]["headers"]


def test_resolve_lists_the_outcomes_it_accepts() -> None:
    schemas = build_app().openapi()["components"]["schemas"]
    assert schemas["ResolveTicket"]["properties"]["outcome"]["enum"] == list(TICKET_OUTCOMES)


def test_integers_in_paths_and_queries_are_bounded_to_64_bits() -> None:
    for path, method, op in operations():
        for param in op.get("parameters", []):
            schema = param["schema"]
            for kind in [schema, *schema.get("anyOf", [])]:
                if kind.get("type") == "integer":
                    assert kind.get("maximum", 2**64) <= 2**63 - 1, (method, path, param["name"])
