"""The same operations over two identity providers: the built-in one and a test-only one
that keeps factors in a dict and sends no texts. What a provider declares, the operations
do the same way over it (policy, four-eyes, the audit entry); what it lacks is refused
before anything is written, and `/v1/capabilities` says why."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportdesk.api import features
from supportdesk.rules.policy import Action
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput, NotSupported
from supportdesk.service.ops import (
    approvals,
    capabilities,
    challenges,
    provider_audit,
    recovery,
    sessions,
    sms,
    sms_send,
    totp,
    users,
)
from supportdesk.service.ops.common import Principal
from supportdesk.service.ops.idempotency import Answer, Once
from supportdesk.service.provider import Capability
from supportdesk.service.provider.builtin import CAPABILITIES as BUILTIN
from tests.providers.dict_provider import NO_SMS, DictProvider, dict_context
from tests.service.support import audit_rows, factor_code, latest_message_code
from tests.support import agent_code

NO_KEY = Once(key=None, fingerprint="-")


AppCode = Callable[[str, int], Awaitable[str]]


@dataclass
class Desk:
    """A service context, and what a user's authenticator app shows now."""

    ctx: ServiceContext
    app_code: AppCode

    async def signed_in(self, username: str) -> Principal:
        code = await agent_code(self.ctx.engine, username, self.ctx.clock.now())
        session = await sessions.sign_in(self.ctx, username, "demo", code, request_id="t")
        return await sessions.principal(self.ctx, session.token)


@pytest.fixture(params=["builtin", "dict"])
async def desk(
    request: pytest.FixtureRequest, ctx: ServiceContext, demo_db: Path, tmp_path: Path
) -> AsyncIterator[Desk]:
    if request.param == "builtin":

        async def builtin_code(factor_id: str, shift_s: int = 0) -> str:
            return await factor_code(ctx, factor_id, shift_s)

        yield Desk(ctx, builtin_code)
        return
    other = tmp_path / "dict.sqlite3"
    other.write_bytes(demo_db.read_bytes())
    context = await dict_context(other)
    provider = context.provider
    assert isinstance(provider, DictProvider)

    async def dict_code(factor_id: str, shift_s: int = 0) -> str:
        return provider.code_now(factor_id, context.clock.now(), shift_s)

    yield Desk(context, dict_code)
    await context.engine.dispose()


async def email_check(desk: Desk, who: Principal, user_id: str, ticket_id: str) -> str:
    sent = await challenges.send_challenge(
        desk.ctx, who, user_id, ticket_id=ticket_id, channel="email", factor_id=None, request_id="t"
    )
    code = await latest_message_code(desk.ctx.engine, user_id)
    answered = await challenges.answer_challenge(desk.ctx, who, sent.id, code, request_id="t")
    return answered.id


async def test_search_and_profile_come_from_the_provider_without_secrets(desk: Desk) -> None:
    found = await users.search(desk.ctx, "Sophie", 10)
    assert [u.id for u in found] == ["u1009"]
    assert found[0].factor_types == ["sms", "totp"]
    profile = await users.profile(desk.ctx, "u1009")
    sms_factor = next(f for f in profile.factors if f.type == "sms")
    assert sms_factor.phone_masked is not None and "•" in sms_factor.phone_masked
    assert "totp_secret" not in profile.model_dump_json()


async def test_a_batch_of_people_larger_than_one_read_names_each_known_one(desk: Desk) -> None:
    """A queue of many tickets names its people in one call: past the built-in
    provider's 500 ids a read, unknown ids are left out and none of the known is lost."""
    known = [f"u{n}" for n in range(1001, 1021)]
    asked = [f"nobody-{n}" for n in range(1200)] + known + known[:3]
    async with desk.ctx.engine.connect() as conn:
        found = await desk.ctx.provider.users(conn, asked)
    assert sorted(found) == sorted(known)
    assert all(found[i].id == i for i in known)


async def test_a_user_and_their_factors_read_together_are_the_two_reads(desk: Desk) -> None:
    """What a profile and every action read at once: the same user and active factors,
    oldest first, as reading them apart, for people with several, one or no factors, and
    after a factor is removed; nobody for an unknown id."""
    provider = desk.ctx.provider
    async with desk.ctx.engine.connect() as conn:
        people = await provider.users(conn, [f"u{n}" for n in range(1001, 1061)])
        found = await provider.factors(conn, "u1009")
    lost = next(f for f in found if f.type == "sms")
    async with desk.ctx.engine.begin() as conn:
        await provider.remove_factor(conn, people["u1009"], lost, desk.ctx.clock.now())
    counts = set()
    async with desk.ctx.engine.connect() as conn:
        for user_id, user in people.items():
            together = await provider.user_with_factors(conn, user_id)
            apart = await provider.factors(conn, user_id)
            assert together == (user, apart), user_id
            counts.add(min(len(apart), 2))
        assert await provider.user_with_factors(conn, "nobody") is None
        assert lost.id not in [f.id for f in (await provider.factors(conn, "u1009"))]
    assert counts == {0, 1, 2}  # the demo world has people with none, one and several


async def test_why_prompted_reads_the_providers_sign_ins(desk: Desk) -> None:
    report = await users.why_prompted(desk.ctx, "u1009", 30)
    history = await users.sign_ins(desk.ctx, "u1009", 50)
    assert report.signins and len(report.signins) <= len(history)
    assert [s.at for s in history] == sorted((s.at for s in history), reverse=True)


async def test_an_app_challenge_then_the_lost_factor_is_removed_on_the_record(
    desk: Desk,
) -> None:
    """T-1053: Sophie reads her app's code; her SMS number is the lost one."""
    agent = await desk.signed_in("demo-agent")
    sent = await challenges.send_challenge(
        desk.ctx, agent, "u1009", ticket_id="T-1053", channel="totp", factor_id=None, request_id="t"
    )
    code = await desk.app_code("u1009-f1", 0)
    answered = await challenges.answer_challenge(
        desk.ctx, agent, sent.id, f"{code[:3]} {code[3:]}", request_id="t"
    )
    again = await challenges.send_challenge(
        desk.ctx,
        agent,
        "u1009",
        ticket_id="T-1053",
        channel="totp",
        factor_id=None,
        request_id="t",
    )
    with pytest.raises(InvalidInput, match="does not match"):  # a spent code is no answer
        await challenges.answer_challenge(desk.ctx, agent, again.id, code, request_id="t")
    done = await recovery.recover(
        desk.ctx,
        agent,
        Action.REMOVE_FACTOR,
        "u1009",
        recovery.Paperwork("T-1053", "Lost the phone with the SMS number", [], [answered.id]),
        factor_id="u1009-f2",
        once=NO_KEY,
        request_id="t",
    )
    assert isinstance(done, Answer) and done.body.model_dump()["status"] == "done"
    assert [f.id for f in (await users.profile(desk.ctx, "u1009")).factors] == ["u1009-f1"]
    [entry] = await audit_rows(desk.ctx, action="factor.remove", user="u1009")
    assert entry["outcome"] == "success" and json.loads(entry["verification"]) == [
        "factor_challenge"
    ]


async def test_a_reset_needs_two_checks_and_is_audited(desk: Desk) -> None:
    """T-1050: the authenticator was the only factor."""
    agent = await desk.signed_in("demo-agent")
    reason = "Phone stolen; only factor"
    weak = recovery.Paperwork("T-1050", reason, ["account_owner_callback"], [])
    with pytest.raises(InvalidInput):
        await recovery.recover(
            desk.ctx,
            agent,
            Action.RESET_MFA,
            "u1008",
            weak,
            factor_id=None,
            once=NO_KEY,
            request_id="t",
        )
    assert (await users.profile(desk.ctx, "u1008")).mfa_status == "active"
    verified = await email_check(desk, agent, "u1008", "T-1050")
    paper = recovery.Paperwork("T-1050", reason, ["account_owner_callback"], [verified])
    done = await recovery.recover(
        desk.ctx,
        agent,
        Action.RESET_MFA,
        "u1008",
        paper,
        factor_id=None,
        once=NO_KEY,
        request_id="t",
    )
    assert isinstance(done, Answer)
    profile = await users.profile(desk.ctx, "u1008")
    assert profile.mfa_status == "setup_required" and profile.factors == []
    assert profile.last_mfa_reset_at == desk.ctx.clock.now()
    outcomes = [e["outcome"] for e in await audit_rows(desk.ctx, action="mfa.reset", user="u1008")]
    assert outcomes == ["refused", "success"]
    done_entry = (await audit_rows(desk.ctx, action="mfa.reset", user="u1008"))[-1]
    assert json.loads(done_entry["verification"]) == ["account_owner_callback", "email_code"]


async def test_an_admins_reset_waits_for_a_lead_whose_approval_carries_it_out(desk: Desk) -> None:
    """T-1052: four-eyes is the desk's on every back end."""
    agent = await desk.signed_in("demo-agent")
    verified = await email_check(desk, agent, "u1004", "T-1052")
    paper = recovery.Paperwork(
        "T-1052", "Admin lost her only factor", ["account_owner_callback"], [verified]
    )
    filed = await recovery.recover(
        desk.ctx,
        agent,
        Action.RESET_MFA,
        "u1004",
        paper,
        factor_id=None,
        once=NO_KEY,
        request_id="t",
    )
    assert isinstance(filed, Answer) and filed.status_code == 202
    assert (await users.profile(desk.ctx, "u1004")).mfa_status == "active"
    lead = await desk.signed_in("demo-lead")
    [request] = await approvals.list_approvals(
        desk.ctx, lead, status="pending", user_id="u1004", limit=10
    )
    assert request.target_name == "Denise Washington"
    decided = await approvals.approve(
        desk.ctx, lead, request.id, note="Called back", once=NO_KEY, request_id="t"
    )
    assert isinstance(decided, Answer)
    assert (await users.profile(desk.ctx, "u1004")).mfa_status == "setup_required"
    entries = [(e["action"], e["outcome"]) for e in await audit_rows(desk.ctx, user="u1004")]
    assert entries[-3:] == [
        ("mfa.reset", "pending_approval"),
        ("approval.approve", "approved"),
        ("mfa.reset", "success"),
    ]


async def test_an_access_code_is_issued_once(desk: Desk) -> None:
    agent = await desk.signed_in("demo-agent")
    verified = await email_check(desk, agent, "u1008", "T-1050")
    paper = recovery.Paperwork(
        "T-1050", "Phone at home; one sign-in", ["account_owner_callback"], [verified]
    )
    once = Once(key="access-code-once-1", fingerprint="same request")
    first = await recovery.recover(
        desk.ctx,
        agent,
        Action.ISSUE_ACCESS_CODE,
        "u1008",
        paper,
        factor_id=None,
        once=once,
        request_id="t",
    )
    assert isinstance(first, Answer)
    code = first.body.model_dump()["access_code"]
    assert code and len(code.replace("-", "")) == 12
    again = await recovery.recover(
        desk.ctx,
        agent,
        Action.ISSUE_ACCESS_CODE,
        "u1008",
        paper,
        factor_id=None,
        once=once,
        request_id="t",
    )
    assert not isinstance(again, Answer) and code not in again.body
    [entry] = await audit_rows(desk.ctx, action="access_code.issue", user="u1008")
    assert code not in json.dumps(entry, default=str)


async def test_the_clock_check_and_the_re_enrolment_use_the_providers_app(desk: Desk) -> None:
    """T-1047: Ray's phone runs 2 min 30 s slow; then his app is re-enrolled."""
    agent = await desk.signed_in("demo-agent")
    code = await desk.app_code("u1005-f1", -150)
    found = await totp.diagnose(
        desk.ctx,
        agent,
        "u1005",
        ticket_id="T-1047",
        codes=[code],
        phone_time=None,
        factor_id=None,
        request_id="t",
    )
    assert found.codes is not None and found.codes.matched
    assert found.drift is not None and -180 <= found.drift.center_s <= -120
    verified = await email_check(desk, agent, "u1005", "T-1047")
    done = await totp.reenrol(
        desk.ctx,
        agent,
        "u1005",
        ticket_id="T-1047",
        reason="stale secret after a restore",
        checks=[],
        verification_ids=[verified],
        factor_id=None,
        once=NO_KEY,
        request_id="t",
    )
    assert isinstance(done, Answer) and done.body.model_dump()["enrol_required"] == "totp"
    profile = await users.profile(desk.ctx, "u1005")
    assert profile.enrol_required == "totp"
    assert all(f.type != "totp" for f in profile.factors)


async def test_capabilities_name_what_the_provider_lacks_with_its_reason(desk: Desk) -> None:
    offered = capabilities.capabilities(desk.ctx)
    assert offered.provider == desk.ctx.provider.name
    gaps = {g.feature: g.reason for g in offered.unavailable}
    for feature in (features.TICKETS, features.AUDIT, features.APPROVALS, features.RESET_MFA):
        assert offered.offers(feature)
    assert set(offered.features) | set(gaps) == set(features.ALL)
    if desk.ctx.provider.name == "dict":
        for feature in (features.SMS, features.SMS_RESEND, features.SMS_DELIVERY_RECEIPTS):
            assert gaps[feature].startswith("this test provider sends no texts")
        assert features.ENDUSER_SIGNIN in gaps
    else:
        assert offered.offers(features.SMS) and offered.offers(features.ENDUSER_SIGNIN)
        assert set(gaps) == {features.TOTP_RESYNC, features.TOKEN_UNLOCK, features.PROVIDER_AUDIT}
        assert gaps[features.TOTP_RESYNC] == BUILTIN[Capability.RESYNC_TOTP]
        assert gaps[features.PROVIDER_AUDIT] == BUILTIN[Capability.PROVIDER_AUDIT]


async def test_the_providers_own_log_is_refused_with_its_reason_where_it_keeps_none(
    desk: Desk,
) -> None:
    """Neither the built-in nor the dict provider keeps a log beside the desk's chain."""
    reason = desk.ctx.provider.capabilities[Capability.PROVIDER_AUDIT]
    assert reason
    with pytest.raises(NotSupported) as refused:
        await provider_audit.provider_rows(desk.ctx, "u1001", 10)
    assert reason in refused.value.message


async def test_what_the_provider_lacks_is_refused_and_nothing_is_written(
    dict_ctx: ServiceContext,
) -> None:
    """Over the dict provider (the `dict_ctx` fixture); the built-in one texts codes
    (tests/service/test_sms_resend.py)."""
    provider = dict_ctx.provider
    assert isinstance(provider, DictProvider)

    async def dict_code(factor_id: str, shift_s: int = 0) -> str:
        return provider.code_now(factor_id, dict_ctx.clock.now(), shift_s)

    desk = Desk(dict_ctx, dict_code)
    agent = await desk.signed_in("demo-agent")
    before = await audit_rows(desk.ctx)
    with pytest.raises(NotSupported, match=NO_SMS):
        await sms_send.resend(
            desk.ctx,
            agent,
            "u1009",
            factor_id=None,
            ticket_id="T-1053",
            reason=None,
            request_id="t",
        )
    with pytest.raises(NotSupported, match=NO_SMS):
        await challenges.send_challenge(
            desk.ctx,
            agent,
            "u1009",
            ticket_id="T-1053",
            channel="sms",
            factor_id=None,
            request_id="t",
        )
    assert await audit_rows(desk.ctx) == before
    assert (await sms.overview(desk.ctx, "u1009")).factors  # reading the number still works
