"""The OpenAPI document is a contract: schemathesis holds `supportdesk serve` to it.

Generated requests (valid and invalid) go to every operation, with an agent's
and with a lead's bearer token, on each store: no answer may be a 5xx, every
status must be one the document lists for that operation, and every body must
match the documented schema. Bounded by examples per operation, so the whole
run takes a couple of minutes on both stores.

Runs with SUPPORTDESK_CONTRACT=1, as `.ci/run` sets it (about three minutes for
both stores and both roles; the README says how to run it locally). Before issue 11
it found undocumented 400/401/403/404/409/429 answers and 500s on out-of-range
integers and NUL bytes. Sign-out is left out: it would end the session the other
cases run on.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bench.serving import CodeBook, bearer, read_agent_secrets, sign_in_body, start_server
from tests.faults.stores import fresh_store
from tests.support import store_params

pytestmark = pytest.mark.skipif(
    os.environ.get("SUPPORTDESK_CONTRACT") != "1",
    reason="the contract run is opt-in: SUPPORTDESK_CONTRACT=1 (CI sets it)",
)

EXAMPLES = int(os.environ.get("SUPPORTDESK_CONTRACT_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = {"agent": "demo-agent", "lead": "demo-lead"}


@dataclass(frozen=True)
class Service:
    url: str
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module", params=store_params())
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    folder: Path = tmp_path_factory.mktemp("contract")
    with fresh_store(request.param, folder, "sd_contract") as url:
        server = start_server(url, folder / "logs")
        try:
            server.wait_ready()
            book = CodeBook(asyncio.run(read_agent_secrets(url)))
            headers: dict[str, dict[str, str]] = {}
            with httpx.Client(base_url=server.url, timeout=30) as http:
                for role, username in ROLES.items():
                    answer = http.post(
                        "/v1/agent/sessions", json=sign_in_body(username, book.code(username))
                    )
                    assert answer.status_code == 201, answer.text
                    headers[role] = bearer(answer.json()["token"])
            yield Service(server.url, headers)
        finally:
            server.stop()


@pytest.fixture(scope="module")
def api_schema(service: Service) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{service.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


contract = schema.exclude(path="/v1/agent/sessions/current")
hold = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@contract.parametrize()
@hold
def test_every_operation_keeps_its_documented_contract_for_an_agent(
    case: schemathesis.Case, service: Service
) -> None:
    case.call_and_validate(headers=service.headers["agent"], checks=CHECKS)


@contract.parametrize()
@hold
def test_every_operation_keeps_its_documented_contract_for_a_lead(
    case: schemathesis.Case, service: Service
) -> None:
    case.call_and_validate(headers=service.headers["lead"], checks=CHECKS)
