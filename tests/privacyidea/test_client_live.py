"""The privacyIDEA client against a live privacyIDEA: what a desk agent's fixes do there."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from supportdesk.service.provider.privacyidea import (
    PiAuthFailed,
    PiNotFound,
    PiPolicyDenied,
    PiRefused,
    PrivacyIdeaClient,
    PrivacyIdeaSettings,
)
from tests.privacyidea.peer import DESK_ADMIN
from tests.privacyidea.people import CUSTOMERS, Phone
from tests.privacyidea.seed import World
from tests.privacyidea.sms_capture import SmsCapture

NUMBERS = {p.username: p.mobile for p in CUSTOMERS}


async def test_find_users_by_wildcard_and_read_one(pi: PrivacyIdeaClient) -> None:
    found = await pi.find_users(username="*r*")
    names = {u.username for u in found}
    assert {"ray.castillo", "marisol.baca", "brian.nguyen"} <= names
    assert "dana.ortiz" not in names  # staff live in their own realm

    ray = await pi.user("ray.castillo")
    assert (ray.display_name, ray.email) == ("Ray Castillo", "ray.castillo@lonestarreefer.example")
    assert ray.mobile is not None
    assert ray.mobile.masked.endswith("0181")
    assert NUMBERS["ray.castillo"] not in ray.model_dump_json() + repr(ray) + str(ray.mobile)

    with pytest.raises(PiNotFound):
        await pi.user("nobody.here")


async def test_token_list_shows_masked_numbers_and_no_seed(
    pi: PrivacyIdeaClient, pi_world: World
) -> None:
    sms_tokens = await pi.user_tokens("marisol.baca")
    kinds = {t.serial: t.tokentype for t in sms_tokens}
    assert kinds == {"TOTP-MBACA": "totp", "SMS-MBACA": "sms"}
    sms = next(t for t in sms_tokens if t.tokentype == "sms")
    assert sms.phone is not None and sms.phone.masked.endswith("0147")
    assert sms.description == "My cell" and sms.active and not sms.fail_locked

    dumped = "".join(t.model_dump_json() + repr(t) for t in sms_tokens)
    assert NUMBERS["marisol.baca"] not in dumped
    assert pi_world.phone("marisol.baca").seed_hex not in dumped
    assert "otpkey" not in dumped

    assert await pi.user_tokens(pi_world.user_without_token) == []


async def test_sms_challenge_reaches_the_gateway_and_its_code_signs_in(
    pi: PrivacyIdeaClient, pi_sms: SmsCapture, pi_world: World
) -> None:
    serial = pi_world.sms_serials["tyler.brooks"]
    seen = len(pi_sms.messages())

    challenge = await pi.trigger_challenge("tyler.brooks", serial=serial)

    assert challenge.count == 1 and challenge.serials == (serial,)
    assert challenge.gateway_error is None and challenge.transaction_id
    text = pi_sms.wait_for(lambda m: m.phone == NUMBERS["tyler.brooks"], after=seen).text
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    check = await pi.validate_check(
        match.group(1), user="tyler.brooks", transaction_id=challenge.transaction_id
    )
    assert check.accepted and check.serial == serial


async def test_sms_gateway_failure_is_reported_not_hidden(
    pi: PrivacyIdeaClient, pi_sms: SmsCapture, pi_world: World
) -> None:
    pi_sms.failing = True
    try:
        challenge = await pi.trigger_challenge(
            "sophie.tremblay", serial=pi_world.sms_serials["sophie.tremblay"]
        )
    finally:
        pi_sms.failing = False
    assert challenge.gateway_error is not None and challenge.count == 0
    assert "could not be sent" in challenge.gateway_error
    # privacyIDEA's audit knows only that no challenge was made, not why.
    row = await pi.latest_audit_row("POST /validate/triggerchallenge", user="sophie.tremblay")
    assert row is not None and not row.success and row.info == "triggered 0 challenges"


async def test_resync_of_a_drifted_phone_records_the_drift(
    pi: PrivacyIdeaClient, pi_world: World
) -> None:
    phone = pi_world.phone("jenna.kowalczyk")
    refused = await pi.validate_check(phone.current_code(), user="jenna.kowalczyk")
    assert refused.outcome == "REJECT"  # seven minutes fast: outside privacyIDEA's window

    await pi.resync(phone.serial, *phone.resync_codes())

    token = await pi.token(phone.serial)
    assert token.time_shift_s is not None
    assert abs(token.time_shift_s - pi_world.drift_s) <= 30
    accepted = await pi.validate_check(phone.next_code(), user="jenna.kowalczyk")
    assert accepted.accepted


async def test_resync_with_codes_that_do_not_follow_is_refused(
    pi: PrivacyIdeaClient, pi_world: World
) -> None:
    phone = pi_world.phone("ray.castillo")
    with pytest.raises(PiRefused):
        await pi.resync(phone.serial, phone.wrong_code(), phone.wrong_code())


async def test_a_token_locked_by_its_fail_counter_refuses_until_reset(
    pi: PrivacyIdeaClient, pi_world: World
) -> None:
    phone = pi_world.phone("brian.nguyen")
    token = await pi.token(phone.serial)
    assert token.fail_locked and token.failcount >= token.maxfail == 10
    assert not token.locked  # privacyIDEA's own "locked" flag says nothing of this

    refused = await pi.validate_check(phone.next_code(), user="brian.nguyen")
    assert refused.outcome == "REJECT" and "failcounter" in refused.message.lower()

    assert await pi.reset_failcount(phone.serial) == 1
    assert (await pi.token(phone.serial)).failcount == 0
    assert (await pi.validate_check(phone.next_code(), user="brian.nguyen")).accepted


async def test_disable_enable_unassign_and_delete(
    pi: PrivacyIdeaClient, enroll_totp: Callable[[str], Phone]
) -> None:
    phone = enroll_totp("sophie.tremblay")
    assert await pi.disable(phone.serial) == 1
    assert not (await pi.token(phone.serial)).active
    refused = await pi.validate_check(phone.next_code(), serial=phone.serial)
    assert refused.outcome == "REJECT"

    assert await pi.enable(phone.serial) == 1
    assert (await pi.validate_check(phone.next_code(), serial=phone.serial)).accepted

    assert await pi.unassign(phone.serial) == 1
    assert phone.serial not in {t.serial for t in await pi.user_tokens("sophie.tremblay")}
    assert (await pi.token(phone.serial)).username == ""

    assert await pi.delete(phone.serial) == 1
    with pytest.raises(PiNotFound):
        await pi.token(phone.serial)
    with pytest.raises(PiNotFound) as gone:
        await pi.delete(phone.serial)
    assert gone.value.code == 601


async def test_lost_token_issues_a_temporary_code_that_signs_in(
    pi: PrivacyIdeaClient,
    pi_world: World,
    enroll_totp: Callable[[str], Phone],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    phone = enroll_totp("ray.castillo")
    lost = await pi.lost_token(phone.serial, user="ray.castillo")

    assert lost.lost_serial == phone.serial and lost.serial == f"lost{phone.serial}"
    expected_end = datetime.now(UTC) + timedelta(days=pi_world.lost_token_valid_days)
    assert abs((lost.valid_until - expected_end).total_seconds()) < 120
    code = lost.password.get_secret_value()
    assert len(code) == 12 and code not in repr(lost) + lost.model_dump_json()
    assert not (await pi.token(phone.serial)).active  # the lost one is disabled

    check = await pi.validate_check(code, user="ray.castillo")
    assert check.accepted and check.serial == lost.serial
    replacement = await pi.token(lost.serial)
    assert replacement.lost_token_for == phone.serial and replacement.valid_until is not None
    for serial in (phone.serial, lost.serial):
        rows = (await pi.audit(serial=serial)).entries
        assert rows and not any(code in row.model_dump_json() for row in rows)
    assert code not in caplog.text and pi_world.phone("ray.castillo").seed_hex not in caplog.text


async def test_audit_shows_each_change_with_a_valid_signature(
    pi: PrivacyIdeaClient, enroll_totp: Callable[[str], Phone]
) -> None:
    phone = enroll_totp("sophie.tremblay")
    await pi.disable(phone.serial)
    await pi.enable(phone.serial)
    await pi.reset_failcount(phone.serial)
    await pi.validate_check(phone.next_code(), serial=phone.serial)

    page = await pi.audit(serial=phone.serial, page_size=50)

    actions = [e.action for e in page.entries]
    for action in ("POST /token/disable", "POST /token/enable", "POST /token/reset"):
        row = page.entries[actions.index(action)]
        assert row.success and row.administrator == DESK_ADMIN and row.user == "sophie.tremblay"
    check = page.entries[actions.index("POST /validate/check")]
    assert check.authentication == "ACCEPT" and check.client == "127.0.0.1"
    assert all(e.signature_ok for e in page.entries)
    # privacyIDEA flags a row whose successor is not (yet) there: the log's newest row,
    # until the next request writes one (this audit read did).
    assert all(e.no_missing_line for e in page.entries[1:])
    again = {e.number: e for e in (await pi.audit(serial=phone.serial, page_size=50)).entries}
    assert again[page.entries[0].number].no_missing_line
    assert page.count == len(page.entries)
    latest = await pi.latest_audit_row("POST /token/disable", serial=phone.serial)
    assert (
        latest is not None
        and latest.number == page.entries[actions.index("POST /token/disable")].number
    )
    numbers = [e.number for e in page.entries]
    assert numbers == sorted(numbers, reverse=True)  # newest first


async def test_audit_pages_and_filters_by_user_and_action(pi: PrivacyIdeaClient) -> None:
    page = await pi.audit(user="brian.nguyen", action="*validate/check*", page_size=5)
    assert page.entries and len(page.entries) <= 5
    assert {e.user for e in page.entries} == {"brian.nguyen"}
    assert {e.action for e in page.entries} == {"POST /validate/check"}
    assert page.count >= 10  # the wrong codes that locked his token
    assert page.next_page == 2
    failures = await pi.audit(user="brian.nguyen", success=False, page_size=20)
    assert len(failures.entries) >= 10 and not any(e.success for e in failures.entries)


async def test_rejections_at_http_200_and_errors_are_typed(
    pi: PrivacyIdeaClient, pi_world: World
) -> None:
    wrong = await pi.validate_check(
        pi_world.phone("ray.castillo").wrong_code(), user="ray.castillo"
    )
    assert wrong.outcome == "REJECT" and not wrong.accepted

    with pytest.raises(PiPolicyDenied) as denied:  # staff are outside the desk's admin realm
        await pi.trigger_challenge("dana.ortiz", realm=pi_world.staff_realm)
    assert denied.value.code == 303 and denied.value.status == 403

    with pytest.raises(PiNotFound) as missing:
        await pi.reset_failcount("NO-SUCH-SERIAL")
    assert missing.value.code == 601

    with pytest.raises(PiNotFound):
        await pi.validate_check("123456", user="nobody.here")


async def test_agents_sign_in_with_password_and_their_own_token(
    pi: PrivacyIdeaClient, pi_world: World
) -> None:
    phone = pi_world.phone("dana.ortiz")
    realm = pi_world.staff_realm
    accepted = await pi.validate_check(
        "agent-pass-1" + phone.next_code(), user="dana.ortiz", realm=realm
    )
    assert accepted.accepted and accepted.serial == phone.serial
    no_password = await pi.validate_check(phone.next_code(), user="dana.ortiz", realm=realm)
    assert no_password.outcome == "REJECT"


async def test_an_expired_admin_session_signs_in_again(pi: PrivacyIdeaClient) -> None:
    await pi.sign_in()
    pi.session._jwt = "not.a.session"  # as privacyIDEA sees an expired or foreign token
    assert (await pi.user("ray.castillo")).username == "ray.castillo"


async def test_wrong_admin_password_is_an_auth_failure(pi_settings: PrivacyIdeaSettings) -> None:
    wrong = pi_settings.model_copy(update={"admin_password": SecretStr("not-the-password")})
    async with PrivacyIdeaClient(wrong) as client:
        with pytest.raises(PiAuthFailed) as failed:
            await client.user("ray.castillo")
    assert failed.value.code == 4031
