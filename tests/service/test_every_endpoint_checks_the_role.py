"""Authorisation lives on the server: every operation in the OpenAPI refuses a caller
without a token, except the few that are public by nature; lead-only ones refuse agents."""

from __future__ import annotations

import re

import httpx

from supportdesk.service.context import ServiceContext
from supportdesk.service.http.app import build_app
from tests.support import agent_code

PUBLIC = {
    ("get", "/v1/health"),
    ("get", "/v1/ready"),
    ("get", "/v1/capabilities"),
    ("post", "/v1/agent/sessions"),
    ("post", "/v1/enduser/signin"),
    ("post", "/v1/enduser/signin/verify"),
    ("post", "/v1/enduser/signin/sms"),
}
"""Health, readiness (the database answers) and capabilities reveal nothing; the rest are
how a caller proves who they are."""

SIGNED = {
    ("post", "/v1/intake/messenger"),
    ("post", "/v1/intake/chatwoot"),
}
"""The messenger's webhooks take no agent token: the HMAC signature over the body is their
authentication, so without one they answer 401 too (tests/channels/test_intake_messenger.py
checks bad signatures and old timestamps)."""

LEAD_ONLY_PREFIXES = ("/v1/audit", "/v1/tickets/corrections")
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def fill(path: str) -> str:
    values = {"user_id": "u1004", "ticket_id": "T-1052", "approval_id": "1", "seq": "1"}
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), "x"), path)


async def operations(http: httpx.AsyncClient) -> list[tuple[str, str]]:
    spec = (await http.get("/openapi.json")).json()
    return sorted(
        (method, path)
        for path, item in spec["paths"].items()
        if path not in DOCS
        for method in item
    )


async def test_no_token_means_401_everywhere_but_the_public_few(ctx: ServiceContext) -> None:
    transport = httpx.ASGITransport(app=build_app(ctx), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://authz") as http:
        ops = await operations(http)
        assert len(ops) > 25
        unknown_public = PUBLIC - set(ops)
        assert not unknown_public, (
            f"public list names operations that no longer exist: {unknown_public}"
        )
        assert set(ops) >= SIGNED, f"signed webhooks missing: {SIGNED - set(ops)}"
        for method, path in ops:
            if (method, path) in PUBLIC:
                continue
            response = await http.request(method.upper(), fill(path), json={})
            assert response.status_code == 401, (
                f"{method.upper()} {path} answered {response.status_code}"
            )
            if (method, path) in SIGNED:
                assert response.json()["error"]["code"] == "bad_signature"


async def test_the_document_names_the_bearer_scheme_on_every_signed_in_operation(
    ctx: ServiceContext,
) -> None:
    """A client generated from the OpenAPI knows which operations need the token: each one
    but the public few and the signed webhooks requires the bearer scheme, and those do not."""
    transport = httpx.ASGITransport(app=build_app(ctx), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://authz") as http:
        spec = (await http.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            required = [name for requirement in op.get("security", []) for name in requirement]
            public = (method, path) in PUBLIC | SIGNED
            assert required == ([] if public else list(schemes)), (method, path)


async def test_agents_are_refused_the_leads_endpoints(ctx: ServiceContext) -> None:
    transport = httpx.ASGITransport(app=build_app(ctx), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://authz") as http:
        code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
        token = (
            await http.post(
                "/v1/agent/sessions",
                json={"username": "demo-agent", "password": "demo", "code": code},
            )
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        lead_ops = [(m, p) for m, p in await operations(http) if p.startswith(LEAD_ONLY_PREFIXES)]
        assert lead_ops
        for method, path in lead_ops:
            response = await http.request(method.upper(), fill(path), headers=headers, json={})
            assert response.status_code == 403, f"{method.upper()} {path}: {response.status_code}"
