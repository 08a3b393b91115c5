"""The desk's service in front of a live privacyIDEA, through the API client: each fix
really happens in privacyIDEA, our policy and four-eyes come first, and our audit entry
names privacyIDEA's serial and audit row, so a lead can cross-check the two logs."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest

from supportdesk.api import features
from supportdesk.api.audit import AuditFilter
from supportdesk.api.errors import ApiError
from supportdesk.rules.policy import Action
from supportdesk.service.provider.privacyidea import (
    PiNotFound,
    PrivacyIdeaClient,
    PrivacyIdeaSettings,
)
from tests.privacyidea.desk import AGENT, PiDesk
from tests.privacyidea.people import CUSTOMERS, Phone
from tests.privacyidea.seed import World
from tests.privacyidea.sms_capture import SmsCapture

NUMBERS = {p.username: p.mobile for p in CUSTOMERS}
TWO_CHECKS = ["account_owner_callback", "last_signin_location"]


def provider_rows(entry: dict[str, object]) -> list[dict[str, object]]:
    detail = json.loads(str(entry["detail"]))
    rows: list[dict[str, object]] = detail["provider"]
    return rows


async def pi_row(pi: PrivacyIdeaClient, number: object, serial: str, action: str) -> None:
    """privacyIDEA's audit has the row our entry names, for that serial, signed."""
    page = await pi.audit(serial=serial, page_size=50)
    row = next(e for e in page.entries if e.number == number)
    assert row.action.startswith(action) and row.success and row.signature_ok


async def test_find_a_user_and_read_their_tokens(pi_desk: PiDesk, pi_world: World) -> None:
    user_id = await pi_desk.user_id("marisol.baca")
    profile = await pi_desk.agent.get_user(user_id)

    assert (profile.name, profile.is_admin, profile.mfa_status) == ("Marisol Baca", True, "active")
    kinds = {f.id: f.type for f in profile.factors}
    assert kinds == {"TOTP-MBACA": "totp", "SMS-MBACA": "sms"}
    sms = next(f for f in profile.factors if f.type == "sms")
    assert sms.phone_masked and sms.phone_masked.endswith("0147")
    assert NUMBERS["marisol.baca"] not in profile.model_dump_json()
    assert all(f.max_fail == 10 and not f.locked for f in profile.factors)
    # By the end of a number, as the built-in search does.
    assert user_id in {u.id for u in await pi_desk.agent.search_users("0147")}

    caps = await pi_desk.agent.capabilities()
    gaps = {g.feature: g.reason for g in caps.unavailable}
    assert caps.provider == "privacyidea"
    assert {features.TOTP_RESYNC, features.TOKEN_UNLOCK, features.RESET_MFA} <= set(caps.features)
    assert "delivery receipts" in gaps[features.SMS_DELIVERY_RECEIPTS]
    assert "enrol" in gaps[features.TOTP_REENROL]


async def test_resend_sms_reaches_the_gateway_and_privacyideas_log(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, pi_sms: SmsCapture, pi_world: World
) -> None:
    user_id = await pi_desk.user_id("sophie.tremblay")
    ticket = await pi_desk.ticket(user_id, "The text code never came")
    before = len(pi_sms.messages())
    charted = [await agent_actions(pi_desk, f) for f in (AuditFilter(), AuditFilter(user=user_id))]

    sent = await pi_desk.agent.resend_sms_code(user_id, ticket_id=ticket)

    assert sent.delivery.status == "sent" and sent.delivery.phone_masked.endswith("0126")
    number = NUMBERS["sophie.tremblay"]
    text = pi_sms.wait_for(lambda m: m.phone == number, after=before).text
    code = text.rsplit(" ", 1)[-1]
    serial = pi_world.sms_serials["sophie.tremblay"]
    assert (await pi.validate_check(code, serial=serial)).accepted  # the code works
    log = await pi_desk.agent.sms_deliveries(user_id)
    assert log[0].status == "sent" and log[0].factor_id == serial
    assert code not in json.dumps([d.model_dump(mode="json") for d in log])
    [entry] = await pi_desk.entries("sms.resend", user_id)
    assert entry["outcome"] == "queued" and code not in str(entry["detail"])
    [handed] = await pi_desk.entries("sms.sent", user_id)  # privacyIDEA sent it: its row
    assert handed["outcome"] == "sent" and code not in str(handed["detail"])
    [row] = provider_rows(handed)
    assert row["serial"] == serial
    await pi_row(pi, row["audit_row"], serial, "POST /validate/triggerchallenge")
    assert await pi_desk.chain_intact()
    # Two entries, one action: the lead's chart counts the resend once.
    for filters, was in zip((AuditFilter(), AuditFilter(user=user_id)), charted, strict=True):
        assert await agent_actions(pi_desk, filters) == was + 1


async def agent_actions(pi_desk: PiDesk, filters: AuditFilter) -> int:
    """The API agent's actions on the lead's chart over its default range."""
    counts = await pi_desk.lead.audit_counts(filters, "UTC")
    return sum(c.total for c in counts.cells if c.agent == AGENT)


async def test_resync_a_drifted_app_and_read_the_drift(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, enroll_totp: Callable[[str], Phone], pi_world: World
) -> None:
    phone = enroll_totp("jenna.kowalczyk")
    phone.clock_offset_s = pi_world.drift_s  # seven minutes fast
    assert not (await pi.validate_check(phone.current_code(), serial=phone.serial)).accepted
    user_id = await pi_desk.user_id("jenna.kowalczyk")
    ticket = await pi_desk.ticket(user_id, "Codes are always wrong")

    first, second = phone.resync_codes()
    done = await pi_desk.agent.resync_totp(
        user_id,
        ticket,
        reason="codes refused since the trip",
        first_code=first,
        second_code=second,
        factor_id=phone.serial,
    )

    assert done.resynced and done.drift_s is not None
    assert abs(done.drift_s - pi_world.drift_s) <= 30 and "7 min fast" in done.phrase
    assert (await pi.validate_check(phone.next_code(), serial=phone.serial)).accepted
    [entry] = await pi_desk.entries("totp.resync", user_id)
    assert entry["outcome"] == "success"
    [row] = provider_rows(entry)
    assert row["serial"] == phone.serial
    await pi_row(pi, row["audit_row"], phone.serial, "POST /token/resync")
    assert await pi_desk.chain_intact()


async def test_resync_with_codes_that_do_not_follow_changes_nothing(
    pi_desk: PiDesk, enroll_totp: Callable[[str], Phone]
) -> None:
    phone = enroll_totp("jenna.kowalczyk")
    user_id = await pi_desk.user_id("jenna.kowalczyk")
    ticket = await pi_desk.ticket(user_id)
    wrong = phone.wrong_code()

    done = await pi_desk.agent.resync_totp(
        user_id,
        ticket,
        reason="try",
        first_code=wrong,
        second_code=wrong,
        factor_id=phone.serial,
    )

    assert not done.resynced and "do not follow" in done.phrase
    [entry] = await pi_desk.entries("totp.resync", user_id)
    assert entry["outcome"] == "failed"


async def test_unlock_a_token_its_fail_counter_locked(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, enroll_totp: Callable[[str], Phone]
) -> None:
    phone = enroll_totp("brian.nguyen")
    for _ in range(10):
        await pi.validate_check(phone.wrong_code(), serial=phone.serial)
    user_id = await pi_desk.user_id("brian.nguyen")
    locked = next(
        f for f in (await pi_desk.agent.get_user(user_id)).factors if f.id == phone.serial
    )
    assert locked.locked and (locked.fail_count, locked.max_fail) == (10, 10)
    refused = await pi.validate_check(phone.next_code(), serial=phone.serial)
    assert not refused.accepted  # even the right code
    ticket = await pi_desk.ticket(user_id, "Locked out")

    done = await pi_desk.agent.unlock_token(
        user_id, ticket, reason="locked after many tries", factor_id=phone.serial
    )

    assert (done.fail_count_before, done.max_fail) == (10, 10)
    assert (await pi.validate_check(phone.next_code(), serial=phone.serial)).accepted
    [entry] = await pi_desk.entries("factor.unlock", user_id)
    [row] = provider_rows(entry)
    await pi_row(pi, row["audit_row"], phone.serial, "POST /token/reset")
    with pytest.raises(ApiError) as again:  # nothing left to unlock
        await pi_desk.agent.unlock_token(user_id, ticket, reason="again", factor_id=phone.serial)
    assert again.value.status == 409
    assert await pi_desk.chain_intact()


async def test_remove_a_lost_token(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, enroll_totp: Callable[[str], Phone]
) -> None:
    phone = enroll_totp("ray.castillo")
    user_id = await pi_desk.user_id("ray.castillo")
    ticket = await pi_desk.ticket(user_id, "Lost my old phone")

    done = await pi_desk.agent.recover(
        Action.REMOVE_FACTOR,
        user_id,
        ticket_id=ticket,
        reason="old phone lost",
        checks=["account_owner_callback"],
        factor_id=phone.serial,
    )

    assert done.status == "done"
    with pytest.raises(PiNotFound):
        await pi.token(phone.serial)
    [entry] = await pi_desk.entries("factor.remove", user_id)
    [row] = provider_rows(entry)
    assert row["serial"] == phone.serial
    await pi_row(pi, row["audit_row"], phone.serial, "DELETE /token")
    assert await pi_desk.chain_intact()


async def test_issue_an_access_code_that_signs_in(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, pi_world: World
) -> None:
    user_id = await pi_desk.user_id("tyler.brooks")
    ticket = await pi_desk.ticket(user_id, "New number, old one gone")

    done = await pi_desk.agent.recover(
        Action.ISSUE_ACCESS_CODE, user_id, ticket_id=ticket, reason="lost SIM", checks=TWO_CHECKS
    )

    assert done.access_code and done.access_code_expires_at is not None
    valid_for = done.access_code_expires_at - datetime.now(UTC)
    expected = timedelta(days=pi_world.lost_token_valid_days)
    assert abs((valid_for - expected).total_seconds()) < 300
    assert "valid for about 24 h" in done.summary
    check = await pi.validate_check(done.access_code, user="tyler.brooks")
    assert check.accepted and check.serial == f"lost{pi_world.sms_serials['tyler.brooks']}"
    [entry] = await pi_desk.entries("access_code.issue", user_id)
    assert done.access_code not in json.dumps(entry, default=str)
    [row] = provider_rows(entry)
    await pi_row(pi, row["audit_row"], str(row["serial"]), "POST /token/lost")
    assert await pi_desk.chain_intact()


async def test_reset_mfa_leaves_no_token(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, enroll_totp: Callable[[str], Phone], pi_world: World
) -> None:
    username = pi_world.user_without_token
    phone = enroll_totp(username)
    user_id = await pi_desk.user_id(username)
    ticket = await pi_desk.ticket(user_id, "Everything lost")

    done = await pi_desk.agent.recover(
        Action.RESET_MFA, user_id, ticket_id=ticket, reason="phone stolen", checks=TWO_CHECKS
    )

    assert done.status == "done" and "passOnNoToken" in done.summary
    assert await pi.user_tokens(username) == []
    profile = await pi_desk.agent.get_user(user_id)
    assert profile.mfa_status == "setup_required" and profile.last_mfa_reset_at is not None
    [entry] = await pi_desk.entries("mfa.reset", user_id)
    [row] = provider_rows(entry)
    await pi_row(pi, row["audit_row"], phone.serial, "DELETE /token")
    assert await pi_desk.chain_intact()


async def test_a_sensitive_users_reset_waits_for_a_lead(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, pi_world: World
) -> None:
    username = pi_world.sensitive_user
    user_id = await pi_desk.user_id(username)
    ticket = await pi_desk.ticket(user_id, "Company admin locked out")
    tokens = {t.serial for t in await pi.user_tokens(username)}

    filed = await pi_desk.agent.recover(
        Action.RESET_MFA, user_id, ticket_id=ticket, reason="admin lost phone", checks=TWO_CHECKS
    )

    assert filed.status == "pending_approval" and filed.approval is not None
    assert {t.serial for t in await pi.user_tokens(username)} == tokens  # nothing yet
    outcome = await pi_desk.lead.approve(filed.approval.id, "called the owner back")
    assert outcome.approval.status == "approved"
    assert await pi.user_tokens(username) == []
    [entry] = [e for e in await pi_desk.entries("mfa.reset", user_id) if e["outcome"] == "success"]
    assert {r["serial"] for r in provider_rows(entry)} == tokens
    assert await pi_desk.chain_intact()


async def test_a_failure_in_privacyidea_leaves_no_success_entry(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, enroll_totp: Callable[[str], Phone]
) -> None:
    phone = enroll_totp("brian.nguyen")
    for _ in range(10):
        await pi.validate_check(phone.wrong_code(), serial=phone.serial)
    user_id = await pi_desk.user_id("brian.nguyen")
    ticket = await pi_desk.ticket(user_id)
    # privacyIDEA stops answering between the desk's read and its change.
    real = pi_desk.provider.pi.reset_failcount

    async def unreachable(serial: str) -> int:
        from supportdesk.service.provider.privacyidea import PiUnreachable

        raise PiUnreachable("connection refused")

    pi_desk.provider.pi.reset_failcount = unreachable  # type: ignore[method-assign]
    try:
        with pytest.raises(ApiError) as failed:
            await pi_desk.agent.unlock_token(user_id, ticket, reason="x", factor_id=phone.serial)
    finally:
        pi_desk.provider.pi.reset_failcount = real  # type: ignore[method-assign]

    assert failed.value.status == 503
    assert [e["outcome"] for e in await pi_desk.entries("factor.unlock", user_id)] == ["failed"]
    assert (await pi.token(phone.serial)).fail_locked
    assert await pi_desk.chain_intact()


async def test_serve_runs_the_service_in_front_of_privacyidea(
    pi_settings: PrivacyIdeaSettings, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert pi_settings.admin_password is not None
    password = pi_settings.admin_password.get_secret_value()
    env = {
        **os.environ,
        "SUPPORTDESK_PI_URL": pi_settings.url,
        "SUPPORTDESK_PI_USER_REALMS": ",".join(pi_settings.user_realms),
        "SUPPORTDESK_PI_ADMIN_USERNAME": pi_settings.admin_username,
        "SUPPORTDESK_PI_ADMIN_PASSWORD": password,
    }
    command = [sys.executable, "-m", "supportdesk", "serve", "--provider", "privacyidea"]
    command += ["--db", f"sqlite:///{tmp_path / 'served.sqlite3'}", "--port", str(port)]
    served = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        caps = None
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            while caps is None and time.monotonic() < deadline and served.poll() is None:
                try:
                    caps = (await http.get("/v1/capabilities")).json()
                except httpx.TransportError:
                    await asyncio.sleep(0.2)  # not listening yet
        assert caps is not None, "serve did not come up"
        assert caps["provider"] == "privacyidea"
        assert features.TOKEN_UNLOCK in caps["features"]
    finally:
        served.terminate()
        output, _ = served.communicate(timeout=30)
    assert b"users and factors are in privacyIDEA" in output
    assert password.encode() not in output


async def test_an_agent_made_by_the_command_signs_in_and_finds_privacyideas_users(
    pi_desk: PiDesk,
) -> None:
    """A privacyIDEA desk outside the demo: `supportdesk agent add` makes the account in
    its store, and what it printed once is all the new agent needs."""
    from supportdesk.commands.agents import make_account
    from supportdesk.embedded import client_for

    made = await make_account(pi_desk.ctx.settings.db_url, "new.agent", "New Agent", "agent")
    async with client_for(pi_desk.ctx, timeout_s=60) as desk:
        code = pyotp.TOTP(made.totp_secret).at(pi_desk.ctx.clock.now())
        session = await desk.sign_in("new.agent", made.password, code)
        assert session.agent.display_name == "New Agent"
        assert (await desk.capabilities()).provider == "privacyidea"
        assert any(
            u.email.startswith("sophie.tremblay@") for u in await desk.search_users("sophie")
        )
