"""Who may do what to whom: every rule and every refusal code of the support policy."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import pytest

from supportdesk.rules.policy import (
    APPROVAL_TTL,
    CHECK_DESCRIPTIONS,
    CHECKS,
    POLICY,
    RECENT_RESET_WINDOW,
    SERVICE_ACCOUNT_GUIDANCE,
    STRONG_CHECKS,
    Action,
    Check,
    Decision,
    Outcome,
    RefusalCode,
    Role,
    Target,
    TargetKind,
    approval_expires_at,
    can_approve,
    decide,
    independent_checks,
    is_sensitive,
    requirements,
    sensitivity,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TWO_CHECKS = frozenset({Check.EMAIL_CODE, Check.LAST_SIGNIN_LOCATION})
MFA_ACTIONS = [a for a in Action if a is not Action.RESOLVE_TICKET]


def target(
    *,
    kind: TargetKind = TargetKind.INDIVIDUAL,
    admin: bool = False,
    staff: bool = False,
    reset_at: datetime | None = None,
    factors: int = 2,
) -> Target:
    return Target(
        kind=kind, is_admin=admin, is_staff=staff, last_mfa_reset_at=reset_at, factor_count=factors
    )


def run(
    action: Action,
    role: str = "agent",
    tgt: Target | None = None,
    *,
    ticket: str | None = "T-1001",
    reason: str | None = "Lost phone, verified by e-mail code",
    checks: Collection[Check] = TWO_CHECKS,
    **kwargs: object,
) -> Decision:
    return decide(
        action,
        role,
        tgt or target(),
        ticket_id=ticket,
        reason=reason,
        checks=checks,
        now=NOW,
        **kwargs,  # type: ignore[arg-type]
    )


# --- the table ------------------------------------------------------------------------


def test_every_action_has_requirements_and_every_one_needs_a_ticket() -> None:
    assert set(POLICY) == set(Action)
    for action in Action:
        req = requirements(action)
        assert req.action is action
        assert req.needs_ticket
        assert req.describe()[0] == "A ticket."


def test_requirements_accepts_the_plain_string() -> None:
    assert requirements("reset_mfa") is POLICY[Action.RESET_MFA]  # type: ignore[arg-type]


@pytest.mark.parametrize("action", [Action.RESET_MFA, Action.ISSUE_ACCESS_CODE])
def test_reset_and_access_code_need_two_independent_checks_one_strong(action: Action) -> None:
    req = requirements(action)
    assert (req.min_independent_checks, req.min_strong_checks) == (2, 1)
    assert req.needs_reason and req.four_eyes_for_sensitive
    assert "2 independent identity checks, at least 1 of them strong." in req.describe()


def test_reads_and_resends_need_no_reason_and_no_checks() -> None:
    for action in (Action.RESEND_SMS, Action.DIAGNOSE_TOTP):
        req = requirements(action)
        assert not req.needs_reason
        assert req.min_independent_checks == 0
        assert not req.four_eyes_for_sensitive


def test_only_resolve_ticket_is_open_to_service_accounts() -> None:
    assert [a for a in Action if requirements(a).allowed_for_service_accounts] == [
        Action.RESOLVE_TICKET
    ]


def test_remove_factor_describes_the_other_factor_rule() -> None:
    assert (
        "Another factor must remain on the account."
        in requirements(Action.REMOVE_FACTOR).describe()
    )


# --- checks and independence ---------------------------------------------------------------


def test_every_check_is_described_with_strength_and_source() -> None:
    assert set(CHECK_DESCRIPTIONS) == set(Check) == set(CHECKS)
    assert all(text.strip() for text in CHECK_DESCRIPTIONS.values())
    assert {
        Check.FACTOR_CHALLENGE,
        Check.EMAIL_CODE,
        Check.ACCOUNT_OWNER_CALLBACK,
    } == STRONG_CHECKS


def test_email_origin_and_email_code_count_once() -> None:
    assert independent_checks({Check.EMAIL_ORIGIN, Check.EMAIL_CODE}) == 1
    assert independent_checks({Check.LAST_SIGNIN_LOCATION, Check.TICKET_HISTORY}) == 1
    assert independent_checks({Check.EMAIL_CODE, Check.FACTOR_CHALLENGE}) == 2
    assert independent_checks(set(Check)) == 4
    assert independent_checks(set()) == 0


def test_same_mailbox_twice_is_refused_for_reset() -> None:
    decision = run(Action.RESET_MFA, checks={Check.EMAIL_ORIGIN, Check.EMAIL_CODE})
    assert decision.outcome is Outcome.REFUSED
    assert decision.code is RefusalCode.VERIFICATION_REQUIRED
    assert decision.checks_needed == 1
    assert Check.EMAIL_ORIGIN not in decision.missing_checks
    assert Check.EMAIL_CODE not in decision.missing_checks
    assert decision.missing_checks[:2] == (Check.FACTOR_CHALLENGE, Check.ACCOUNT_OWNER_CALLBACK)
    assert "count once" in decision.reasons[0]


def test_two_weak_checks_do_not_reset_mfa() -> None:
    decision = run(Action.RESET_MFA, checks={Check.EMAIL_ORIGIN, Check.LAST_SIGNIN_LOCATION})
    assert decision.code is RefusalCode.VERIFICATION_REQUIRED
    assert decision.checks_needed == 1
    assert set(decision.missing_checks) == STRONG_CHECKS


def test_no_checks_at_all_needs_two() -> None:
    decision = run(Action.ISSUE_ACCESS_CODE, checks=())
    assert decision.code is RefusalCode.VERIFICATION_REQUIRED
    assert decision.checks_needed == 2
    assert set(decision.missing_checks) == set(Check)
    assert decision.missing_checks[:3] == (
        Check.FACTOR_CHALLENGE,
        Check.EMAIL_CODE,
        Check.ACCOUNT_OWNER_CALLBACK,
    )


@pytest.mark.parametrize("action", [Action.RESET_MFA, Action.ISSUE_ACCESS_CODE])
def test_two_independent_checks_with_a_strong_one_allow_it(action: Action) -> None:
    decision = run(action, checks=TWO_CHECKS)
    assert decision.outcome is Outcome.ALLOWED
    assert decision.allowed and not decision.refused
    assert decision.code is None
    assert decision.missing_checks == ()


@pytest.mark.parametrize(
    "action", [Action.REMOVE_FACTOR, Action.REENROL_TOTP, Action.REQUIRE_TOTP_SETUP]
)
def test_factor_changes_need_one_check(action: Action) -> None:
    assert run(action, checks=()).code is RefusalCode.VERIFICATION_REQUIRED
    assert run(action, checks={Check.TICKET_HISTORY}).allowed


# --- ticket and reason -----------------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("ticket", [None, "", "   "])
def test_every_action_needs_a_ticket(action: Action, ticket: str | None) -> None:
    decision = run(action, ticket=ticket)
    assert decision.outcome is Outcome.REFUSED
    assert decision.code is RefusalCode.TICKET_REQUIRED


@pytest.mark.parametrize(
    "action",
    [a for a in Action if a not in (Action.RESEND_SMS, Action.DIAGNOSE_TOTP)],
)
@pytest.mark.parametrize("reason", [None, "", " \t "])
def test_state_changes_need_a_reason(action: Action, reason: str | None) -> None:
    decision = run(action, reason=reason)
    assert decision.code is RefusalCode.REASON_REQUIRED


@pytest.mark.parametrize("action", [Action.RESEND_SMS, Action.DIAGNOSE_TOTP])
def test_resend_and_diagnose_need_no_reason(action: Action) -> None:
    assert run(action, reason=None, checks=()).allowed


def test_all_missing_prerequisites_are_listed_first_one_is_the_code() -> None:
    decision = run(Action.RESET_MFA, ticket=None, reason="", checks=())
    assert decision.code is RefusalCode.TICKET_REQUIRED
    assert len(decision.reasons) == 3
    assert decision.checks_needed == 2


# --- remove_factor -------------------------------------------------------------------------


def test_removing_the_last_factor_is_refused_pointing_to_reset() -> None:
    decision = run(Action.REMOVE_FACTOR, tgt=target(factors=1))
    assert decision.code is RefusalCode.NO_OTHER_FACTOR
    assert "reset MFA instead" in decision.reasons[0]
    assert run(Action.REMOVE_FACTOR, tgt=target(factors=0)).code is RefusalCode.NO_OTHER_FACTOR


def test_removing_one_of_two_factors_is_allowed() -> None:
    assert run(Action.REMOVE_FACTOR, tgt=target(factors=2)).allowed


# --- service accounts ----------------------------------------------------------------------


@pytest.mark.parametrize("action", MFA_ACTIONS)
def test_service_accounts_get_the_articles_guidance(action: Action) -> None:
    decision = run(action, "lead", target(kind=TargetKind.SERVICE))
    assert decision.outcome is Outcome.REFUSED
    assert decision.code is RefusalCode.SERVICE_ACCOUNT
    assert SERVICE_ACCOUNT_GUIDANCE in decision.reasons
    assert "credential manager that supports 2FA codes, such as Keeper or 1Password" in (
        SERVICE_ACCOUNT_GUIDANCE
    )
    assert SERVICE_ACCOUNT_GUIDANCE.startswith("MFA is designed for individual user logins")


def test_service_account_refusal_comes_before_paperwork() -> None:
    decision = run(Action.RESET_MFA, tgt=target(kind=TargetKind.SERVICE), ticket=None, checks=())
    assert decision.code is RefusalCode.SERVICE_ACCOUNT


def test_service_account_ticket_can_be_resolved() -> None:
    assert run(Action.RESOLVE_TICKET, tgt=target(kind=TargetKind.SERVICE), checks=()).allowed


def test_target_kind_accepts_the_wire_string() -> None:
    tgt = Target(
        kind="service",  # type: ignore[arg-type]
        is_admin=False,
        is_staff=False,
        last_mfa_reset_at=None,
        factor_count=0,
    )
    assert tgt.kind is TargetKind.SERVICE
    with pytest.raises(ValueError):
        target(factors=-1)


# --- sensitive targets and four-eyes -----------------------------------------------------------


def test_ordinary_target_is_not_sensitive() -> None:
    assert sensitivity(target(), NOW) == ()
    assert not is_sensitive(target(), NOW)


@pytest.mark.parametrize(
    ("tgt", "words"),
    [
        (target(admin=True), "administrator"),
        (target(staff=True), "support staff"),
        (target(reset_at=NOW - timedelta(days=2)), "reset in the last 7 days"),
    ],
)
def test_agent_may_only_request_on_sensitive_targets(tgt: Target, words: str) -> None:
    decision = run(Action.RESET_MFA, "agent", tgt)
    assert decision.outcome is Outcome.NEEDS_APPROVAL
    assert decision.code is None
    assert any(words in r for r in decision.reasons)
    assert any("a team lead must approve" in r for r in decision.reasons)


def test_lead_acting_directly_on_sensitive_target_needs_a_second_lead() -> None:
    decision = run(Action.ISSUE_ACCESS_CODE, "lead", target(admin=True), requested_by="lena")
    assert decision.outcome is Outcome.NEEDS_APPROVAL
    assert any("second lead" in r for r in decision.reasons)


@pytest.mark.parametrize(
    ("age", "sensitive"),
    [
        (timedelta(days=6, hours=23), True),
        (RECENT_RESET_WINDOW, True),
        (RECENT_RESET_WINDOW + timedelta(seconds=1), False),
        (timedelta(days=30), False),
        (-timedelta(hours=1), True),  # future-dated reset (clock skew) errs towards caution
    ],
)
def test_seven_day_reset_boundary(age: timedelta, sensitive: bool) -> None:
    tgt = target(reset_at=NOW - age)
    assert is_sensitive(tgt, NOW) is sensitive
    expected = Outcome.NEEDS_APPROVAL if sensitive else Outcome.ALLOWED
    assert run(Action.RESET_MFA, "agent", tgt).outcome is expected


@pytest.mark.parametrize("action", [Action.RESEND_SMS, Action.DIAGNOSE_TOTP])
def test_harmless_actions_on_admins_need_no_approval(action: Action) -> None:
    assert run(action, "agent", target(admin=True), reason=None, checks=()).allowed


def test_admin_with_missing_prerequisites_is_refused_not_queued() -> None:
    decision = run(Action.RESET_MFA, "agent", target(admin=True), checks=())
    assert decision.code is RefusalCode.VERIFICATION_REQUIRED


def test_lead_approves_an_agents_request() -> None:
    decision = run(
        Action.RESET_MFA,
        "agent",
        target(admin=True),
        requested_by="alex",
        approver="lena",
        approver_role="lead",
    )
    assert decision.allowed
    assert any("approved by lena" in r for r in decision.reasons)


def test_second_lead_approves_a_leads_request() -> None:
    decision = run(
        Action.REMOVE_FACTOR,
        "lead",
        target(staff=True),
        requested_by="lena",
        approver="lars",
        approver_role="lead",
    )
    assert decision.allowed


@pytest.mark.parametrize("approver", ["lena", "LENA", " lena "])
def test_self_approval_is_refused(approver: str) -> None:
    decision = run(
        Action.RESET_MFA,
        "lead",
        target(admin=True),
        requested_by="lena",
        approver=approver,
        approver_role="lead",
    )
    assert decision.code is RefusalCode.SELF_APPROVAL


@pytest.mark.parametrize("role", ["agent", None, "admin"])
def test_approver_must_be_a_lead(role: str | None) -> None:
    decision = run(
        Action.RESET_MFA,
        "agent",
        target(admin=True),
        requested_by="alex",
        approver="sam",
        approver_role=role,
    )
    assert decision.code is RefusalCode.NOT_A_LEAD


def test_approval_without_a_requester_is_refused() -> None:
    decision = run(
        Action.RESET_MFA, "agent", target(admin=True), approver="lena", approver_role="lead"
    )
    assert decision.code is RefusalCode.REQUESTER_UNKNOWN


@pytest.mark.parametrize(
    ("age", "expired"),
    [(APPROVAL_TTL - timedelta(minutes=1), False), (APPROVAL_TTL, True), (timedelta(days=3), True)],
)
def test_approval_requests_expire_after_24_hours(age: timedelta, expired: bool) -> None:
    decision = run(
        Action.RESET_MFA,
        "agent",
        target(admin=True),
        requested_by="alex",
        approver="lena",
        approver_role="lead",
        requested_at=NOW - age,
    )
    assert (decision.code is RefusalCode.APPROVAL_EXPIRED) is expired
    assert decision.allowed is not expired
    assert approval_expires_at(NOW) == NOW + timedelta(hours=24)


def test_approver_is_ignored_when_no_approval_is_needed() -> None:
    decision = run(Action.RESET_MFA, "agent", requested_by="alex", approver="alex")
    assert decision.allowed


# --- can_approve -----------------------------------------------------------------------------


def test_can_approve_only_leads_never_the_requester() -> None:
    assert can_approve("lena", "lead", "alex").allowed
    assert can_approve("lena", Role.LEAD, "lars").allowed
    assert can_approve("alex", "agent", "lena").code is RefusalCode.NOT_A_LEAD
    assert can_approve("", "lead", "alex").code is RefusalCode.NOT_A_LEAD
    assert can_approve("lena", "lead", "lena").code is RefusalCode.SELF_APPROVAL
    assert can_approve("lena", "lead", " ").code is RefusalCode.REQUESTER_UNKNOWN


def test_can_approve_checks_expiry_when_given_times() -> None:
    old = NOW - timedelta(hours=25)
    assert can_approve("lena", "lead", "alex", requested_at=old, now=NOW).code is (
        RefusalCode.APPROVAL_EXPIRED
    )
    fresh = NOW - timedelta(hours=1)
    assert can_approve("lena", "lead", "alex", requested_at=fresh, now=NOW).allowed


# --- roles and inputs --------------------------------------------------------------------------


def test_unknown_actor_role_is_refused() -> None:
    assert run(Action.RESEND_SMS, "intern").code is RefusalCode.UNKNOWN_ROLE


def test_both_roles_can_do_ordinary_work() -> None:
    for role in Role:
        assert run(Action.RESET_MFA, role.value).allowed


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(
            Action.RESEND_SMS,
            "agent",
            target(),
            ticket_id="T-1",
            reason=None,
            checks=(),
            now=datetime(2026, 3, 2, 12, 0),
        )
