"""Diagnosing "my authenticator code is invalid": the phone's clock measured from its codes.

The demo world's Ray Castillo (u1005, ticket T-1047) has a phone 150 s slow, and
Lucía Treviño (u1012, T-1048) set her clock by hand an hour off; the demo phone
shows what their authenticator apps display, so the codes here are the ones
the user would read out to the agent.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Conflict, InvalidInput, NotFound, RateLimited
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.phone import PhoneScreen, read_demo_phone
from tests.support import sign_in_as

SLOW = "u1005"
SLOW_TICKET = "T-1047"
ONE_STEP_S = 30


@pytest.fixture
async def agent(client: SupportDeskClient, ctx: ServiceContext) -> SupportDeskClient:
    await sign_in_as(client, ctx, "demo-agent")
    return client


async def read_two_codes(ctx: ServiceContext, user: str) -> tuple[PhoneScreen, PhoneScreen]:
    """The user reads the code, waits for it to change, and reads the next one."""
    first = await read_demo_phone(ctx.engine, user, ctx.clock.now())
    ctx.clock.advance(timedelta(seconds=first.seconds_left))
    second = await read_demo_phone(ctx.engine, user, ctx.clock.now())
    assert second.code == first.next_code
    return first, second


async def test_one_code_from_the_slow_phone_finds_its_drift_within_one_step(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    phone = await read_demo_phone(ctx.engine, SLOW, ctx.clock.now())
    assert phone.clock_offset_s == -150

    result = await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=[phone.code])

    assert result.codes is not None and result.codes.matched
    assert result.drift is not None
    assert abs(result.drift.center_s - phone.clock_offset_s) <= ONE_STEP_S
    assert result.drift.low_s <= phone.clock_offset_s <= result.drift.high_s
    assert result.kind == "set_time_automatic"
    assert result.drift.phrase.endswith("slow")


async def test_two_consecutive_codes_make_the_match_unique(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    first, second = await read_two_codes(ctx, SLOW)

    result = await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=[first.code, second.code])

    assert result.codes is not None
    assert result.codes.unique and result.codes.codes_used == 2
    assert result.codes.other_matches == 0
    assert result.drift is not None and result.drift.low_s <= -150 <= result.drift.high_s
    assert abs(result.drift.center_s + 150) <= ONE_STEP_S / 2
    assert result.basis == "codes" and result.certain
    assert "2 min" in result.headline and "automatic" in result.headline
    steps = " ".join(result.steps)
    assert "iPhone" in steps and "Android" in steps and "Google Authenticator" in steps
    assert result.factor_label == "Google Authenticator"
    assert result.user_timezone == "America/Chicago"


async def test_a_clock_set_an_hour_off_by_hand_is_called_a_wrong_time_zone(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    first, second = await read_two_codes(ctx, "u1012")

    result = await agent.diagnose_totp("u1012", "T-1048", codes=[first.code, second.code])

    assert result.kind == "wrong_time_zone"
    assert result.drift is not None and result.drift.low_s <= -3597 <= result.drift.high_s
    assert "1 h slow" in result.headline
    assert any("time zone" in step for step in result.steps)


async def test_the_time_on_the_phone_is_read_in_the_users_zone(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    # 15:42:10 UTC is 09:42:10 in Chicago; Ray's phone, 150 s slow, shows 9:39:40.
    result = await agent.diagnose_totp(SLOW, SLOW_TICKET, phone_time="9:39:40 am")

    assert result.codes is None
    assert result.phone_time is not None and result.phone_time.has_seconds
    assert result.phone_time.shown_at.hour == 9 and result.phone_time.shown_at.minute == 39
    assert result.basis == "phone_clock"
    assert result.drift is not None and result.drift.low_s <= -150 <= result.drift.high_s
    assert result.drift.phrase == "phone is 2 min 30 s ± 1 s slow"
    assert result.kind == "set_time_automatic"


async def test_codes_matching_nowhere_with_a_right_clock_mean_an_old_secret(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    # Two codes that are not consecutive codes of Ray's secret; the clock read out is right.
    result = await agent.diagnose_totp(
        SLOW, SLOW_TICKET, codes=["000000", "999999"], phone_time="9:42 AM"
    )

    assert result.codes is not None and not result.codes.matched
    assert result.kind == "stale_secret"
    assert "new QR code" in result.headline
    assert any("re-enrolment" in step for step in result.steps)


async def test_the_answer_holds_no_secret_and_no_code(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    phone = await read_demo_phone(ctx.engine, SLOW, ctx.clock.now())
    response = await agent._send(
        "POST",
        f"/v1/users/{SLOW}/totp/diagnose",
        json={"ticket_id": SLOW_TICKET, "codes": [phone.code]},
    )
    text = response.text
    server_now = await read_demo_phone(ctx.engine, "u1006", ctx.clock.now())  # another secret
    assert phone.code not in text and phone.next_code not in text
    assert server_now.code not in text
    assert "secret" not in json.loads(text)


async def test_each_diagnosis_is_audited_without_the_codes(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    phone = await read_demo_phone(ctx.engine, SLOW, ctx.clock.now())
    await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=[phone.code], phone_time="9:39 AM")

    await sign_in_as(agent, ctx, "demo-lead")
    page = await agent.audit_page(action="totp.diagnose")
    entry = page.entries[0]
    assert (entry.actor, entry.target_user, entry.ticket_id) == ("demo-agent", SLOW, SLOW_TICKET)
    assert entry.outcome == "success"
    assert entry.detail is not None
    detail = json.loads(entry.detail)
    assert detail["verdict"] == "set_time_automatic" and detail["codes"] == 1
    assert detail["phone_time"] is True
    assert phone.code not in entry.detail


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["12345"], "a code has 6 digits; got 5"),
        (["1234567"], "a code has 6 digits; got 7"),
        (["12a456"], "codes are digits only"),
        (["123456", "12-456"], "code 2: codes are digits only"),
        ([""], "a code has 6 digits; got 0"),
    ],
)
async def test_a_code_that_cannot_be_one_is_refused_with_422(
    agent: SupportDeskClient, codes: list[str], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=codes)
    assert caught.value.status == 422
    assert caught.value.field == "codes"
    assert message in caught.value.message


async def test_an_unreadable_phone_time_is_refused_with_422(agent: SupportDeskClient) -> None:
    with pytest.raises(InvalidInput) as caught:
        await agent.diagnose_totp(SLOW, SLOW_TICKET, phone_time="quarter to ten")
    assert caught.value.field == "phone_time"
    assert "could not read a time in 'quarter to ten'" in caught.value.message


async def test_nothing_typed_is_refused(agent: SupportDeskClient) -> None:
    with pytest.raises(InvalidInput) as caught:
        await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=[], phone_time="  ")
    assert "type the code" in caught.value.message


async def test_the_ticket_must_be_the_users(agent: SupportDeskClient) -> None:
    with pytest.raises(InvalidInput) as caught:
        await agent.diagnose_totp(SLOW, "T-1048", phone_time="9:42 AM")
    assert caught.value.field == "ticket_id"
    assert "another user" in caught.value.message
    with pytest.raises(NotFound):
        await agent.diagnose_totp("u9999", SLOW_TICKET, phone_time="9:42 AM")


async def test_a_user_without_an_authenticator_app_is_told_so(agent: SupportDeskClient) -> None:
    # Tyler Brooks (u1002, ticket T-1042) gets his codes by SMS only.
    profile = await agent.get_user("u1002")
    assert "totp" not in profile.factor_types
    with pytest.raises(Conflict) as caught:
        await agent.diagnose_totp("u1002", "T-1042", phone_time="9:42 AM")
    assert caught.value.message == "Tyler Brooks has no authenticator app set up"


async def test_too_many_code_checks_for_one_user_get_429_until_the_window_passes(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    allowed = ctx.settings.diagnose_per_10min
    for _ in range(allowed):
        await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=["123456"])

    with pytest.raises(RateLimited) as caught:
        await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=["123456"])
    assert caught.value.status == 429
    assert 0 < caught.value.retry_after_s <= 601
    assert "10 code checks for Ray Castillo in 10 min" in caught.value.message
    assert "try again in 10 min" in caught.value.message

    # The limit is the user's, not the agent's: a colleague is refused too.
    ctx.clock.advance(timedelta(seconds=30))
    await sign_in_as(agent, ctx, "demo-agent2")
    with pytest.raises(RateLimited):
        await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=["123456"])
    # Reading the phone's clock checks no code, so it still works.
    assert (await agent.diagnose_totp(SLOW, SLOW_TICKET, phone_time="9:39 AM")).drift is not None

    ctx.clock.advance(timedelta(minutes=10))
    await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=["123456"])


async def test_a_malformed_code_does_not_spend_the_limit(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    for _ in range(ctx.settings.diagnose_per_10min + 2):
        with pytest.raises(InvalidInput):
            await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=["12345"])
    result = await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=["123456"])
    assert result.codes is not None


async def test_a_refusal_for_too_many_checks_is_audited(
    agent: SupportDeskClient, ctx: ServiceContext
) -> None:
    for _ in range(ctx.settings.diagnose_per_10min):
        await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=["123456"])
    with pytest.raises(RateLimited):
        await agent.diagnose_totp(SLOW, SLOW_TICKET, codes=["123456"])

    await sign_in_as(agent, ctx, "demo-lead")
    page = await agent.audit_page(action="totp.diagnose", outcome="rate_limited")
    assert len(page.entries) == 1
    assert page.entries[0].ticket_id == SLOW_TICKET
