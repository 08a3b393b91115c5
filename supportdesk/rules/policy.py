"""Who may do what to whom: the desk's MFA support policy, as data plus one decision.

The service enforces `decide` on every state change; the desk renders
`requirements` before the agent submits, so the two can never disagree about
what an action needs. Pure: callers pass `now`; nothing here reads the clock.

Choices made here (and why):

- Every action needs a ticket, so each change and each sensitive read is tied
  to the conversation that justified it in the audit log.
- A reason is required for state changes (factor changes, resets, access
  codes, resolving a ticket) but not for `resend_sms` (re-sends a code to the
  number already on file, rate-limited by the service, changes nothing) or
  `diagnose_totp` (a read; audited, but the ticket already says why).
- Resets and one-time access codes hand the account to whoever asked, so they
  need two *independent* identity checks, at least one of them strong. Other
  factor changes (remove, re-enrol, switch to the authenticator app) let the
  next sign-in enrol or drop a factor, so they need one check.
- Sensitive targets (admins, support staff, anything reset in the last 7 days)
  need four-eyes for those same account-changing actions: an agent can only
  request, and a lead's own request needs a second lead. Nobody approves
  their own request.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

APPROVAL_TTL = timedelta(hours=24)
"""An approval request not approved within this long lapses (the situation will have moved on)."""

RECENT_RESET_WINDOW = timedelta(days=7)
"""An account reset this recently is sensitive: repeated resets are the takeover pattern."""

SERVICE_ACCOUNT_GUIDANCE = (
    "MFA is designed for individual user logins; secure integration credentials in a "
    "credential manager that supports 2FA codes, such as Keeper or 1Password. All individual "
    "users must configure MFA with their own credentials."
)
"""The help article's answer for service accounts, given instead of any MFA change."""


class Action(StrEnum):
    """What an agent can do from the desk."""

    RESEND_SMS = "resend_sms"
    REQUIRE_TOTP_SETUP = "require_totp_setup"
    REENROL_TOTP = "reenrol_totp"
    REMOVE_FACTOR = "remove_factor"
    RESET_MFA = "reset_mfa"
    ISSUE_ACCESS_CODE = "issue_access_code"
    RESOLVE_TICKET = "resolve_ticket"
    DIAGNOSE_TOTP = "diagnose_totp"
    RESYNC_TOTP = "resync_totp"
    UNLOCK_FACTOR = "unlock_factor"


ACTION_TITLES: Mapping[Action, str] = MappingProxyType(
    {
        Action.RESEND_SMS: "Resend the SMS code",
        Action.REQUIRE_TOTP_SETUP: "Switch the user to an authenticator app",
        Action.REENROL_TOTP: "Re-enrol the authenticator app (new QR code)",
        Action.REMOVE_FACTOR: "Remove a lost factor",
        Action.RESET_MFA: "Reset MFA",
        Action.ISSUE_ACCESS_CODE: "Issue a one-time access code",
        Action.RESOLVE_TICKET: "Resolve the ticket",
        Action.DIAGNOSE_TOTP: "Diagnose an authenticator code",
        Action.RESYNC_TOTP: "Resync the authenticator app",
        Action.UNLOCK_FACTOR: "Reset the fail counter (unlock the token)",
    }
)
"""How the desk names each action."""


class Role(StrEnum):
    """Desk roles: leads can do all an agent can, and approve."""

    AGENT = "agent"
    LEAD = "lead"


class TargetKind(StrEnum):
    """Individual people use MFA; service (integration) accounts cannot."""

    INDIVIDUAL = "individual"
    SERVICE = "service"


class Check(StrEnum):
    """Identity checks an agent can perform before changing someone's MFA."""

    FACTOR_CHALLENGE = "factor_challenge"
    EMAIL_CODE = "email_code"
    EMAIL_ORIGIN = "email_origin"
    ACCOUNT_OWNER_CALLBACK = "account_owner_callback"
    LAST_SIGNIN_LOCATION = "last_signin_location"
    TICKET_HISTORY = "ticket_history"


class Evidence(StrEnum):
    """What a check really relies on; checks sharing one count as one."""

    FACTOR = "factor"
    MAILBOX = "mailbox"
    COMPANY = "company"
    KNOWLEDGE = "knowledge"


@dataclass(frozen=True)
class CheckSpec:
    """A check's description, its strength and the evidence it rests on."""

    description: str
    strong: bool
    evidence: Evidence


CHECKS: Mapping[Check, CheckSpec] = MappingProxyType(
    {
        Check.FACTOR_CHALLENGE: CheckSpec(
            "A code sent to one of the user's still-working factors was read back "
            "(the strongest: proves possession of a registered factor).",
            strong=True,
            evidence=Evidence.FACTOR,
        ),
        Check.EMAIL_CODE: CheckSpec(
            "A one-time code sent to the e-mail address on file was read back "
            "(proves control of the mailbox now).",
            strong=True,
            evidence=Evidence.MAILBOX,
        ),
        Check.EMAIL_ORIGIN: CheckSpec(
            "The request came from the e-mail address on file "
            "(weak: sender addresses can be forged, and it relies on the same mailbox "
            "as the e-mail code).",
            strong=False,
            evidence=Evidence.MAILBOX,
        ),
        Check.ACCOUNT_OWNER_CALLBACK: CheckSpec(
            "The customer company's account owner confirmed the request on a call-back "
            "to the number on the company record (never a number the caller gives).",
            strong=True,
            evidence=Evidence.COMPANY,
        ),
        Check.LAST_SIGNIN_LOCATION: CheckSpec(
            "The user named the city of their last successful sign-in and it matches "
            "(knowledge: weak on its own).",
            strong=False,
            evidence=Evidence.KNOWLEDGE,
        ),
        Check.TICKET_HISTORY: CheckSpec(
            "The user confirmed details of a previous ticket "
            "(knowledge: weak, and shares its source with other knowledge checks).",
            strong=False,
            evidence=Evidence.KNOWLEDGE,
        ),
    }
)
"""Every check with its description, strength and evidence source."""

CHECK_DESCRIPTIONS: Mapping[Check, str] = MappingProxyType(
    {check: spec.description for check, spec in CHECKS.items()}
)
"""Human descriptions of each check, for the desk's verification form."""

STRONG_CHECKS: frozenset[Check] = frozenset(c for c, spec in CHECKS.items() if spec.strong)
"""Checks that prove possession of something only the user should hold."""


def independent_checks(checks: Collection[Check]) -> int:
    """How many independent checks were done: checks sharing an evidence source count once.

    `email_origin` and `email_code` both rest on the mailbox; the two knowledge
    checks are things one person who read the user's mail could both know.
    """
    return len({CHECKS[Check(c)].evidence for c in checks})


class Outcome(StrEnum):
    """What the policy says about a request."""

    ALLOWED = "allowed"
    NEEDS_APPROVAL = "needs_approval"
    REFUSED = "refused"


class RefusalCode(StrEnum):
    """Machine codes for refusals; the service maps them to API errors."""

    TICKET_REQUIRED = "ticket_required"
    REASON_REQUIRED = "reason_required"
    VERIFICATION_REQUIRED = "verification_required"
    SERVICE_ACCOUNT = "service_account"
    NO_OTHER_FACTOR = "no_other_factor"
    SELF_APPROVAL = "self_approval"
    NOT_A_LEAD = "not_a_lead"
    REQUESTER_UNKNOWN = "requester_unknown"
    APPROVAL_EXPIRED = "approval_expired"
    UNKNOWN_ROLE = "unknown_role"


@dataclass(frozen=True)
class Target:
    """The facts about the account an action is aimed at."""

    kind: TargetKind
    is_admin: bool
    is_staff: bool
    last_mfa_reset_at: datetime | None
    factor_count: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TargetKind(self.kind))
        if self.factor_count < 0:
            raise ValueError("factor_count cannot be negative")
        if self.last_mfa_reset_at is not None:
            _require_aware(self.last_mfa_reset_at, "last_mfa_reset_at")


@dataclass(frozen=True)
class Requirements:
    """What an action needs before it goes through; rendered by the desk up front."""

    action: Action
    needs_ticket: bool
    needs_reason: bool
    min_independent_checks: int
    min_strong_checks: int
    four_eyes_for_sensitive: bool
    needs_other_factor: bool = False
    """Only for `remove_factor`: another factor must remain afterwards."""
    allowed_for_service_accounts: bool = False

    def describe(self) -> tuple[str, ...]:
        """The requirements as short lines for the desk's "what this needs" panel."""
        lines: list[str] = []
        if self.needs_ticket:
            lines.append("A ticket.")
        if self.needs_reason:
            lines.append("A reason, recorded in the audit log.")
        if self.min_independent_checks:
            plural = "s" if self.min_independent_checks > 1 else ""
            strong = (
                f", at least {self.min_strong_checks} of them strong"
                if self.min_strong_checks and self.min_independent_checks > 1
                else (" that is strong" if self.min_strong_checks else "")
            )
            lines.append(
                f"{self.min_independent_checks} independent identity check{plural}{strong}."
            )
        if self.needs_other_factor:
            lines.append("Another factor must remain on the account.")
        if self.four_eyes_for_sensitive:
            lines.append(
                "For admins, support staff and accounts reset in the last 7 days: "
                "a team lead's approval (a lead's own request needs a second lead)."
            )
        if not self.allowed_for_service_accounts:
            lines.append("Not for service accounts.")
        return tuple(lines)


def _req(
    action: Action,
    *,
    reason: bool,
    checks: int = 0,
    strong: int = 0,
    four_eyes: bool = False,
    other_factor: bool = False,
    service: bool = False,
) -> Requirements:
    return Requirements(
        action=action,
        needs_ticket=True,
        needs_reason=reason,
        min_independent_checks=checks,
        min_strong_checks=strong,
        four_eyes_for_sensitive=four_eyes,
        needs_other_factor=other_factor,
        allowed_for_service_accounts=service,
    )


POLICY: Mapping[Action, Requirements] = MappingProxyType(
    {
        Action.RESEND_SMS: _req(Action.RESEND_SMS, reason=False),
        Action.DIAGNOSE_TOTP: _req(Action.DIAGNOSE_TOTP, reason=False),
        Action.RESOLVE_TICKET: _req(Action.RESOLVE_TICKET, reason=True, service=True),
        # Both put the user's own token right; neither changes who can sign in.
        Action.RESYNC_TOTP: _req(Action.RESYNC_TOTP, reason=True),
        Action.UNLOCK_FACTOR: _req(Action.UNLOCK_FACTOR, reason=True),
        Action.REQUIRE_TOTP_SETUP: _req(
            Action.REQUIRE_TOTP_SETUP, reason=True, checks=1, four_eyes=True
        ),
        Action.REENROL_TOTP: _req(Action.REENROL_TOTP, reason=True, checks=1, four_eyes=True),
        Action.REMOVE_FACTOR: _req(
            Action.REMOVE_FACTOR, reason=True, checks=1, four_eyes=True, other_factor=True
        ),
        Action.RESET_MFA: _req(Action.RESET_MFA, reason=True, checks=2, strong=1, four_eyes=True),
        Action.ISSUE_ACCESS_CODE: _req(
            Action.ISSUE_ACCESS_CODE, reason=True, checks=2, strong=1, four_eyes=True
        ),
    }
)
"""The policy table: one row of requirements per action."""


def requirements(action: Action) -> Requirements:
    """What `action` needs; the desk shows this before the agent submits."""
    return POLICY[Action(action)]


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def sensitivity(target: Target, now: datetime) -> tuple[str, ...]:
    """Why a target is sensitive (empty when it is not).

    A reset exactly `RECENT_RESET_WINDOW` ago still counts (erring towards
    caution); a reset dated in the future (clock skew) counts too.
    """
    _require_aware(now, "now")
    why: list[str] = []
    if target.is_admin:
        why.append("The account is an administrator.")
    if target.is_staff:
        why.append("The account belongs to support staff.")
    if target.last_mfa_reset_at is not None and now - target.last_mfa_reset_at <= (
        RECENT_RESET_WINDOW
    ):
        why.append("The account's MFA was reset in the last 7 days.")
    return tuple(why)


def is_sensitive(target: Target, now: datetime) -> bool:
    """Admins, support staff and recently reset accounts get four-eyes."""
    return bool(sensitivity(target, now))


def approval_expires_at(requested_at: datetime) -> datetime:
    """When an approval request lapses."""
    return requested_at + APPROVAL_TTL


@dataclass(frozen=True)
class Decision:
    """The policy's answer, with sentences the desk can show as they are."""

    outcome: Outcome
    reasons: tuple[str, ...]
    code: RefusalCode | None = None
    """Set for refusals: the first rule that failed (reasons lists them all)."""
    missing_checks: tuple[Check, ...] = field(default=())
    """Checks not yet done that would help meet the verification rule, strong first."""
    checks_needed: int = 0
    """How many more checks are needed at least."""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    @property
    def refused(self) -> bool:
        return self.outcome is Outcome.REFUSED


def _refuse(code: RefusalCode, *reasons: str) -> Decision:
    return Decision(Outcome.REFUSED, tuple(reasons), code)


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _verification_gap(
    req: Requirements, checks: Collection[Check]
) -> tuple[int, tuple[Check, ...]]:
    """How many more checks are needed and which would help (strong first)."""
    done = {Check(c) for c in checks}
    covered = {CHECKS[c].evidence for c in done}
    short_count = max(0, req.min_independent_checks - len(covered))
    short_strong = max(
        0, req.min_strong_checks - len({CHECKS[c].evidence for c in done & STRONG_CHECKS})
    )
    helpful = [
        c
        for c in Check
        if c not in done
        and (
            (short_count and CHECKS[c].evidence not in covered)
            or (short_strong and CHECKS[c].strong)
        )
    ]
    helpful.sort(key=lambda c: not CHECKS[c].strong)
    return max(short_count, short_strong), tuple(helpful)


def can_approve(
    approver: str,
    approver_role: str,
    requested_by: str,
    *,
    requested_at: datetime | None = None,
    now: datetime | None = None,
) -> Decision:
    """Whether `approver` may approve a request made by `requested_by`.

    Only team leads approve, and never their own request (names compare
    case-insensitively, so "Alice" cannot approve "alice"). When both
    `requested_at` and `now` are given, a request older than `APPROVAL_TTL`
    (exactly 24 h included) has lapsed.
    """
    if not requested_by.strip():
        return _refuse(
            RefusalCode.REQUESTER_UNKNOWN,
            "The request does not say who made it, so four-eyes cannot be checked.",
        )
    if approver_role != Role.LEAD or not approver.strip():
        return _refuse(RefusalCode.NOT_A_LEAD, "Only a team lead can approve this request.")
    if _same_person(approver, requested_by):
        return _refuse(
            RefusalCode.SELF_APPROVAL,
            "Nobody approves their own request: a second team lead must approve it.",
        )
    if requested_at is not None and now is not None:
        _require_aware(requested_at, "requested_at")
        _require_aware(now, "now")
        if now >= approval_expires_at(requested_at):
            return _refuse(
                RefusalCode.APPROVAL_EXPIRED,
                "The request is more than 24 hours old and has lapsed; submit it again.",
            )
    return Decision(
        Outcome.ALLOWED, (f"{approver.strip()} may approve the request by {requested_by.strip()}.",)
    )


def decide(
    action: Action,
    actor_role: str,
    target: Target,
    *,
    ticket_id: str | None,
    reason: str | None,
    checks: Collection[Check],
    now: datetime,
    requested_by: str | None = None,
    approver: str | None = None,
    approver_role: str | None = None,
    requested_at: datetime | None = None,
) -> Decision:
    """Decide whether `actor_role` may perform `action` on `target` now.

    Order: unknown role, then service accounts (no amount of paperwork helps),
    then the prerequisites (ticket, reason, another factor, verification; all
    failures are listed in `reasons`, `code` names the first), then four-eyes
    for sensitive targets. An approval counts only with `approver`,
    `approver_role` and `requested_by` (checked by `can_approve`); without
    one the answer is `needs_approval`. An approver passed for an action that
    needs none is ignored.
    """
    action = Action(action)
    req = POLICY[action]
    _require_aware(now, "now")
    if actor_role not in {r.value for r in Role}:
        return _refuse(RefusalCode.UNKNOWN_ROLE, f"Unknown desk role {actor_role!r}.")

    if target.kind is TargetKind.SERVICE and not req.allowed_for_service_accounts:
        return _refuse(
            RefusalCode.SERVICE_ACCOUNT,
            "This is a service account: MFA changes do not apply to it.",
            SERVICE_ACCOUNT_GUIDANCE,
        )

    failures: list[tuple[RefusalCode, str]] = []
    if req.needs_ticket and not (ticket_id and ticket_id.strip()):
        failures.append((RefusalCode.TICKET_REQUIRED, "Link the ticket this change answers."))
    if req.needs_reason and not (reason and reason.strip()):
        failures.append((RefusalCode.REASON_REQUIRED, "Give a reason; it goes in the audit log."))
    if req.needs_other_factor and target.factor_count < 2:
        failures.append(
            (
                RefusalCode.NO_OTHER_FACTOR,
                "This is the user's only factor: removing it would leave no way to sign in. "
                "Verify the user's identity and reset MFA instead.",
            )
        )
    needed, helpful = _verification_gap(req, checks)
    if needed:
        strong = " (at least one strong)" if req.min_strong_checks else ""
        failures.append(
            (
                RefusalCode.VERIFICATION_REQUIRED,
                f"Verify the user's identity: {req.min_independent_checks} independent "
                f"check(s){strong} needed, {independent_checks(checks)} done; "
                "checks relying on the same mailbox or the user's own knowledge count once.",
            )
        )
    if failures:
        return Decision(
            Outcome.REFUSED,
            tuple(text for _, text in failures),
            failures[0][0],
            missing_checks=helpful,
            checks_needed=needed,
        )

    why_sensitive = sensitivity(target, now) if req.four_eyes_for_sensitive else ()
    if not why_sensitive:
        return Decision(Outcome.ALLOWED, (f"{ACTION_TITLES[action]}: allowed.",))

    if approver is None:
        if actor_role == Role.LEAD:
            ask = "A team lead acting on a sensitive account still needs a second lead's approval."
        else:
            ask = "Agents can only request this for a sensitive account; a team lead must approve."
        return Decision(
            Outcome.NEEDS_APPROVAL,
            (*why_sensitive, ask, "Nobody approves their own request."),
        )

    verdict = can_approve(
        approver,
        approver_role or "",
        requested_by or "",
        requested_at=requested_at,
        now=now,
    )
    if not verdict.allowed:
        return verdict
    return Decision(
        Outcome.ALLOWED,
        (*why_sensitive, f"{ACTION_TITLES[action]}: approved by {approver.strip()} (four-eyes)."),
    )
