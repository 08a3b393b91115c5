"""Issue 9, on the service: sign-out and lock on the record, one reading of typed codes at
every endpoint that takes one, and a code used twice named as such."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pyotp
import pytest
from sqlalchemy import select

from supportdesk.api import errors
from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.phone import read_demo_phone
from supportdesk.service.http.app import build_app
from supportdesk.service.store.schema import agents, recovery_challenges
from tests.service.support import audit_rows, latest_message_code, totp_user
from tests.support import agent_code, sign_in_as

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture
async def raw(ctx: ServiceContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


async def signed_in(raw: httpx.AsyncClient, ctx: ServiceContext, username: str) -> str:
    code = await agent_code(ctx.engine, username, ctx.clock.now())
    answer = await raw.post(
        "/v1/agent/sessions", json={"username": username, "password": "demo", "code": code}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def spaced(code: str) -> str:
    return f"{code[:3]} {code[3:]}"


async def failed_attempts(ctx: ServiceContext, username: str) -> int:
    async with ctx.engine.connect() as conn:
        return int(
            (
                await conn.execute(
                    select(agents.c.failed_attempts).where(agents.c.username == username)
                )
            ).scalar_one()
        )


# -- sign-out and lock --------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["sign_out", "lock"])
async def test_ending_the_session_says_whether_the_desk_signed_out_or_locked(
    raw: httpx.AsyncClient, ctx: ServiceContext, reason: str
) -> None:
    token = await signed_in(raw, ctx, "demo-agent")
    bearer = {"Authorization": f"Bearer {token}"}
    ended = await raw.delete(
        "/v1/agent/sessions/current", params={"reason": reason}, headers=bearer
    )
    assert ended.status_code == 204
    assert (await raw.get("/v1/agent/me", headers=bearer)).status_code == 401
    [entry] = await audit_rows(ctx, action="agent.signout")
    assert entry["actor"] == "demo-agent" and entry["outcome"] == "success"
    assert json.loads(entry["detail"]) == {"reason": reason}


async def test_an_unknown_reason_is_refused_and_the_session_stays(
    raw: httpx.AsyncClient, ctx: ServiceContext
) -> None:
    token = await signed_in(raw, ctx, "demo-agent")
    bearer = {"Authorization": f"Bearer {token}"}
    refused = await raw.delete(
        "/v1/agent/sessions/current", params={"reason": "lunch"}, headers=bearer
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "reason"
    assert (await raw.get("/v1/agent/me", headers=bearer)).status_code == 200
    assert await audit_rows(ctx, action="agent.signout") == []


# -- typed codes -----------------------------------------------------------------------------------


async def test_sign_in_takes_the_code_as_people_type_it(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
    assert (await client.sign_in("demo-agent", "demo", spaced(code))).agent.username
    await client.sign_out()
    ctx.clock.advance(timedelta(seconds=30))
    code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
    session = await client.sign_in("demo-agent", "demo", code.translate(FULL_WIDTH))
    assert session.agent.username == "demo-agent"


async def test_a_code_of_the_wrong_shape_is_refused_at_sign_in_and_spends_no_attempt(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    for typed in ("12a456", "12345", "1234567"):
        with pytest.raises(errors.InvalidInput) as refused:
            await client.sign_in("demo-agent", "demo", typed)
        assert refused.value.field == "code" and "6 digits" in refused.value.message
    assert await failed_attempts(ctx, "demo-agent") == 0
    assert await audit_rows(ctx, action="agent.signin") == []


async def test_a_code_read_back_with_a_space_passes_the_lost_phone_challenge(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    """ "451 909" is the code the user read out, not a wrong one."""
    await sign_in_as(client, ctx, "demo-agent")
    sent = await client.send_challenge("u1008", ticket_id="T-1050", channel="email")
    code = await latest_message_code(ctx.engine, "u1008")
    answered = await client.answer_challenge(sent.id, spaced(code))
    assert answered.check == "email_code"


async def test_a_challenge_answer_of_the_wrong_shape_spends_no_attempt(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    sent = await client.send_challenge("u1008", ticket_id="T-1050", channel="email")
    for typed in ("45190", "45a909", "4519090"):
        with pytest.raises(errors.InvalidInput) as refused:
            await client.answer_challenge(sent.id, typed)
        assert refused.value.field == "code" and "6 digits" in refused.value.message
    async with ctx.engine.connect() as conn:
        attempts = (
            await conn.execute(
                select(recovery_challenges.c.attempts).where(recovery_challenges.c.id == sent.id)
            )
        ).scalar_one()
    assert attempts == 0
    code = await latest_message_code(ctx.engine, "u1008")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(errors.InvalidInput, match="4 attempts left"):
        await client.answer_challenge(sent.id, wrong)


async def test_the_end_users_code_is_read_the_same_way_and_a_bad_shape_costs_no_guess(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    email, secret = await totp_user(ctx)
    started = await client.enduser_sign_in(email, "demo")
    for _ in range(6):  # more than the five wrong codes a sign-in takes
        with pytest.raises(errors.InvalidInput):
            await client.enduser_verify(started.challenge_id, "totp", "12 34")
    good = pyotp.TOTP(secret).at(ctx.clock.now())
    result = await client.enduser_verify(started.challenge_id, "totp", spaced(good))
    assert result.status == "signed_in"


async def test_the_clock_check_reads_full_width_and_grouped_codes(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    """T-1047: Ray's phone, read out with a dash, pasted in full-width digits."""
    await sign_in_as(client, ctx, "demo-agent")
    code = (await read_demo_phone(ctx.engine, "u1005", ctx.clock.now())).code
    diagnosis = await client.diagnose_totp(
        "u1005", "T-1047", codes=[f"{code[:3]}-{code[3:]}".translate(FULL_WIDTH)]
    )
    assert diagnosis.codes is not None and diagnosis.codes.matched


# -- a code used twice -------------------------------------------------------------------------


async def test_a_just_used_code_with_the_right_password_says_to_wait_for_the_next(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
    await client.sign_in("demo-agent", "demo", code)
    await client.sign_out()
    with pytest.raises(errors.Unauthorised) as again:
        await client.sign_in("demo-agent", "demo", code)
    assert again.value.code == "code_already_used"
    assert again.value.message == (
        "That code was already used: wait for the next one (up to 30 s)."
    )
    with pytest.raises(errors.Unauthorised) as wrong_password:
        await client.sign_in("demo-agent", "not the password", code)
    assert wrong_password.value.code == "unauthorised"
    assert "wrong username, password or code" in wrong_password.value.message
    entries = await audit_rows(ctx, action="agent.signin")
    assert [json.loads(e["detail"] or "{}").get("why") for e in entries][-2:] == [
        "code already used",
        None,
    ]
