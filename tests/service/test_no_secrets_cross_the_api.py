"""Walk every operation in the published OpenAPI over the demo world and look for
anything secret in any response: seeds, codes, password hashes, full phone numbers."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from supportdesk.service.audit.receipts import key_path, load_or_create_key
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.app import build_app
from supportdesk.service.store.schema import (
    access_codes,
    agents,
    factors,
    message_outbox,
    meta,
    recovery_challenges,
    sms_codes,
    users,
)
from tests.support import agent_code

PATH_VALUES = {
    "user_id": ["u1001", "u1002", "u1003", "u1004", "u1005", "u1006", "u1007", "u1008"],
    "ticket_id": ["T-1042"],
    "approval_id": ["1"],
    "challenge_id": ["none"],
}
"""Path parameters filled from the demo world; a new one must be added here."""

SKIP_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def sample_body(method: str, path: str, username: str, code: str) -> dict[str, Any] | None:
    """A valid request for each state-changing operation; unknown ones fail the test."""
    bodies: dict[tuple[str, str], dict[str, Any] | None] = {
        ("post", "/v1/agent/sessions"): {"username": username, "password": "demo", "code": code},
        ("post", "/v1/tickets/{ticket_id}/resolve"): {
            "outcome": "explained",
            "note": "walked",
            "reply": "We asked because the sign-in came from a new device.",
        },
        ("post", "/v1/tickets/{ticket_id}/replies"): {"body": "Looking into it."},
        ("post", "/v1/tickets/{ticket_id}/branch"): {"branch": "not_mfa"},
        ("post", "/v1/enduser/signin"): {"email": "nobody@example.invalid", "password": "x"},
        ("post", "/v1/enduser/signin/verify"): {
            "challenge_id": "none",
            "method": "totp",
            "code": "123456",
        },
        ("delete", "/v1/agent/sessions/current"): None,
        # Lost phone or key: T-1042 is u1002's ticket, so u1002 is reset and given an access
        # code for real (the code is shown once, by design; its stored hash must never show).
        ("post", "/v1/recovery/{user_id}/challenges"): {"ticket_id": "T-1042", "channel": "email"},
        ("post", "/v1/recovery/challenges/{challenge_id}/answer"): {"code": "123456"},
        ("post", "/v1/recovery/{user_id}/remove-factor"): {
            "ticket_id": "T-1042",
            "reason": "walk",
            "checks": ["account_owner_callback"],
            "factor_id": "u1002-f1",
        },
        ("post", "/v1/recovery/{user_id}/reset"): {
            "ticket_id": "T-1042",
            "reason": "walk",
            "checks": ["account_owner_callback", "last_signin_location"],
        },
        ("post", "/v1/recovery/{user_id}/access-code"): {
            "ticket_id": "T-1042",
            "reason": "walk",
            "checks": ["account_owner_callback", "last_signin_location"],
        },
        ("post", "/v1/approvals/{approval_id}/approve"): {"note": "walk"},
        ("post", "/v1/approvals/{approval_id}/deny"): {"note": "walk"},
        # T-1047 is u1005's ticket: the walk diagnoses and re-enrols that user for real.
        ("post", "/v1/users/{user_id}/totp/diagnose"): {
            "ticket_id": "T-1047",
            "codes": [code],
            "phone_time": "9:39 AM",
        },
        ("post", "/v1/users/{user_id}/totp/reenrol"): {
            "ticket_id": "T-1047",
            "reason": "walk",
            "verification": ["account_owner_callback"],
            "verification_ids": [],
        },
        # The built-in provider has neither: both answer 409 with the reason.
        ("post", "/v1/users/{user_id}/totp/resync"): {
            "ticket_id": "T-1047",
            "reason": "walk",
            "first_code": code,
            "second_code": code,
        },
        ("post", "/v1/users/{user_id}/totp/unlock"): {"ticket_id": "T-1047", "reason": "walk"},
        # The SMS branch texts real (simulated) codes to the walked users' numbers.
        ("post", "/v1/users/{user_id}/sms/compare"): {"number": "(505) 555-0162"},
        ("post", "/v1/users/{user_id}/sms/resend"): {"reason": "walk"},
        ("post", "/v1/users/{user_id}/sms/switch-to-authenticator"): {"reason": "walk"},
        ("post", "/v1/enduser/signin/sms"): {"challenge_id": "none"},
        # The messenger's webhooks, unsigned here: refused with 401 (a bearer token is no
        # signature), so nothing is made and nothing could leak.
        ("post", "/v1/intake/messenger"): {"event_id": "walk"},
        ("post", "/v1/intake/chatwoot"): {"event": "message_created"},
        ("post", "/v1/audit/receipt/check"): {
            "seq": 1,
            "head_hash": "0" * 64,
            "at": "2026-11-27T16:00:00+00:00",
            "key_id": "none",
            "public_key": "AAAA",
            "signature": "AAAA",
        },
    }
    if (method, path) not in bodies:
        raise AssertionError(f"add a sample request for {method.upper()} {path} to this walk")
    return bodies[(method, path)]


async def secrets_of(ctx: ServiceContext) -> set[str]:
    found: set[str] = set()
    async with ctx.engine.connect() as conn:
        for column in (
            agents.c.totp_secret,
            agents.c.password_hash,
            users.c.password_hash,
            factors.c.totp_secret,
            sms_codes.c.code_hash,
            access_codes.c.code_hash,
            recovery_challenges.c.code_hash,
        ):
            found |= {v for v in (await conn.execute(select(column))).scalars() if v}
        for phone in (await conn.execute(select(factors.c.phone_e164))).scalars():
            if phone:
                found.add(phone)
                found.add(phone.lstrip("+"))
        found |= set(
            (await conn.execute(select(meta.c.value).where(meta.c.key == "server_key"))).scalars()
        )
        # The demo inbox stands for the user's own phone and mailbox: whole bodies are secret.
        found |= set((await conn.execute(select(message_outbox.c.body))).scalars())
    found |= receipt_key_secrets(ctx)
    return found


def receipt_key_secrets(ctx: ServiceContext) -> set[str]:
    """The audit receipts' signing key, once made: its file and its raw private bytes."""
    path = key_path(ctx.settings.db_url, ctx.settings.audit_key_file)
    if not path.exists():
        return set()
    pem = path.read_text(encoding="ascii")
    lines = {line for line in pem.splitlines() if line and not line.startswith("-----")}
    key = load_or_create_key(path)
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return lines | {base64.b64encode(raw).decode("ascii"), raw.hex()}


CODE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(?![0-9A-Za-z])")
"""A code as a token of its own: inside a hex hash or a longer number it is no leak."""


async def inbox_codes(ctx: ServiceContext) -> dict[str, set[str]]:
    """The codes in the texts and e-mails the demo users received, per channel."""
    codes: dict[str, set[str]] = {"sms": set(), "email": set()}
    async with ctx.engine.connect() as conn:
        for channel, body in await conn.execute(
            select(message_outbox.c.channel, message_outbox.c.body)
        ):
            codes[channel] |= set(CODE.findall(body))
    return codes


@pytest.mark.parametrize("role_user", ["demo-agent", "demo-lead"])
async def test_no_response_carries_a_secret(ctx: ServiceContext, role_user: str) -> None:
    app = build_app(ctx)
    secrets = await secrets_of(ctx)
    assert len(secrets) > 20, "the demo world should hold seeds, hashes and numbers to look for"
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://walk") as http:
        spec = (await http.get("/openapi.json")).json()
        code = await agent_code(ctx.engine, role_user, ctx.clock.now())
        signed = await http.post(
            "/v1/agent/sessions", json={"username": role_user, "password": "demo", "code": code}
        )
        token = signed.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        texts: list[tuple[str, str]] = [("POST /v1/agent/sessions", signed.text)]
        operations = sorted(
            (path, method)
            for path, item in spec["paths"].items()
            if path not in SKIP_PATHS
            for method in item
        )
        # Sign-out last: it ends the session the rest of the walk uses.
        operations.sort(key=lambda op: op == ("/v1/agent/sessions/current", "delete"))
        for path, method in operations:
            names = re.findall(r"{(\w+)}", path)
            for name in names:
                assert name in PATH_VALUES, f"add demo values for path parameter {name!r}"
            fills = [dict(zip(names, values, strict=True)) for values in _combos(names)]
            for fill in fills:
                url = path.format(**fill)
                body = None
                if method in ("post", "put", "patch", "delete"):
                    fresh = await agent_code(ctx.engine, role_user, ctx.clock.now())
                    body = sample_body(method, path, role_user, fresh)
                response = await http.request(method.upper(), url, json=body, headers=headers)
                assert response.status_code < 500, f"{method.upper()} {url}: {response.text}"
                texts.append((f"{method.upper()} {url}", response.text))
    assert len(texts) >= len(operations)
    secrets |= await secrets_of(ctx)  # and the hashes the walk itself made (access codes)
    # The walk texted and e-mailed real codes (resends, an e-mail challenge): none may show.
    codes = await inbox_codes(ctx)
    assert codes["sms"] and codes["email"], "the walk should have sent texts and an e-mail"
    sent = codes["sms"] | codes["email"]
    for where, text in texts:
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{where} leaked {len(leaked)} secret value(s)"
        leaked_codes = sent & set(CODE.findall(text))
        assert not leaked_codes, f"{where} leaked {len(leaked_codes)} code(s) sent to a user"


def _combos(names: list[str]) -> list[tuple[str, ...]]:
    if not names:
        return [()]
    first, *rest = names
    return [(v, *tail) for v in PATH_VALUES[first] for tail in _combos(rest)]
