"""Account changes that may need four-eyes: what the service checks and does, directly or
once a lead approves.

The policy (`supportdesk.rules.policy`) says who may do what to whom; this
module gathers the facts it needs from the store (the target, the ticket, the
identity checks the service itself verified), files a request for a lead when
the target is sensitive, carries the action out, and writes the audit entry in
the caller's transaction. The direct paths (`routers/recovery.py` for a lost
phone or key, `routers/totp.py` for re-enrolling the authenticator app) and the
approval path (`routers/approvals.py`) share it, so an approved request does
exactly what a direct one would have done.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.recovery import Approval, RecoveryAction, RecoveryResult
from supportdesk.rules.audit_chain import canonical_json
from supportdesk.rules.phone import mask_e164
from supportdesk.rules.policy import (
    ACTION_TITLES,
    Action,
    Check,
    Decision,
    RefusalCode,
    Target,
    TargetKind,
    approval_expires_at,
    sensitivity,
)
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.db.schema import (
    access_codes,
    approvals,
    factors,
    recovery_challenges,
    tickets,
    user_sessions,
    users,
)
from supportdesk.service.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from supportdesk.service.idempotency import Answer
from supportdesk.service.security import code_digest, new_access_code, normalise_access_code
from supportdesk.service.views import active_factor_rows

CHALLENGE_TTL = timedelta(minutes=10)
"""How long the user has to read a challenge code back."""
VERIFICATION_TTL = timedelta(minutes=30)
"""How long an answered challenge counts as a check: one support conversation."""
CHALLENGE_ATTEMPTS = 5
"""Wrong read-backs before a challenge is dead (a 6-digit code must not be guessable)."""

CHANNEL_CHECK: Mapping[str, Check] = {
    "totp": Check.FACTOR_CHALLENGE,
    "sms": Check.FACTOR_CHALLENGE,
    "email": Check.EMAIL_CODE,
}
SERVICE_VERIFIED: frozenset[Check] = frozenset({Check.FACTOR_CHALLENGE, Check.EMAIL_CODE})
"""Checks that count only when the service sent the code and checked the answer."""

AUDIT_NAMES: Mapping[Action, str] = {
    Action.REMOVE_FACTOR: "factor.remove",
    Action.RESET_MFA: "mfa.reset",
    Action.ISSUE_ACCESS_CODE: "access_code.issue",
    Action.REENROL_TOTP: "totp.reenrol",
}
FACTOR_WORDS = {"totp": "Authenticator app", "sms": "SMS", "security_key": "Security key"}
METHOD_WORDS = {"totp": "an authenticator app", "sms": "SMS", "security_key": "a security key"}
"""A method as a sentence names it: "signs in with SMS or a security key"."""


# -- facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetFacts:
    """The account an action is aimed at, as the policy and the audit log need it."""

    user: RowMapping
    factors: tuple[RowMapping, ...]

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def target(self) -> Target:
        return Target(
            kind=TargetKind(self.user["kind"]),
            is_admin=bool(self.user["is_admin"]),
            is_staff=bool(self.user["is_staff"]),
            last_mfa_reset_at=self.user["last_mfa_reset_at"],
            factor_count=len(self.factors),
        )

    def factor(self, factor_id: str) -> RowMapping | None:
        return next((f for f in self.factors if f["id"] == factor_id), None)


async def load_target(conn: AsyncConnection, user_id: str) -> TargetFacts:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    if row is None:
        raise NotFound(f"no user {user_id!r}")
    return TargetFacts(row._mapping, tuple(await active_factor_rows(conn, user_id)))


def factor_words(row: Mapping[Any, Any]) -> str:
    """How the desk and the audit name a factor: "Authenticator app 'Pixel'"."""
    return f"{FACTOR_WORDS.get(row['type'], row['type'])} '{row['label']}'"


async def ticket_problem(
    conn: AsyncConnection, ticket_id: str, user_id: str, *, must_be_open: bool = True
) -> str | None:
    """Why this ticket cannot justify a change to this user, or None when it can."""
    row = (
        await conn.execute(
            select(tickets.c.user_id, tickets.c.status).where(tickets.c.id == ticket_id.strip())
        )
    ).first()
    if row is None:
        return f"There is no ticket {ticket_id.strip()!r}."
    if row.user_id != user_id:
        return f"Ticket {ticket_id.strip()} is about another user, not {user_id}."
    if must_be_open and row.status != "open":
        return f"Ticket {ticket_id.strip()} is already resolved; open a new one for this change."
    return None


@dataclass
class Verification:
    """The identity checks behind a request: attested by the agent, or verified here."""

    checks: set[Check] = field(default_factory=set)
    verification_ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return sorted(c.value for c in self.checks)


async def resolve_verification(
    conn: AsyncConnection,
    *,
    agent: str,
    user_id: str,
    attested: Iterable[str],
    verification_ids: Sequence[str],
    now: datetime,
    removing_factor: str | None = None,
    removing_as: str = "removed as lost",
) -> Verification:
    """Turn what the desk sent into checks the policy may count.

    Factor challenges and e-mail codes count only through a challenge this
    agent sent to this user and the service saw answered, recently; a
    challenge answered by the very factor the request takes away (removed as
    lost, or re-enrolled because its secret is stale: `removing_as` says which)
    proves nothing about the user and is not counted.
    """
    found = Verification()
    for name in attested:
        try:
            check = Check(name)
        except ValueError:
            found.problems.append(f"Unknown identity check {name!r}.")
            continue
        if check in SERVICE_VERIFIED:
            found.problems.append(
                f"'{check.value}' counts only when the service checked the code: send a "
                "challenge and have the user read the code back."
            )
            continue
        found.checks.add(check)
    for vid in dict.fromkeys(verification_ids):
        row = (
            await conn.execute(select(recovery_challenges).where(recovery_challenges.c.id == vid))
        ).first()
        if row is None or row.user_id != user_id or row.agent != agent:
            found.problems.append(f"Verification {vid!r} is not one of yours for this user.")
        elif row.verified_at is None:
            found.problems.append(f"Verification {vid!r} was never answered correctly.")
        elif row.verified_at + VERIFICATION_TTL <= now:
            found.problems.append(
                f"Verification {vid!r} is more than {VERIFICATION_TTL.seconds // 60} minutes "
                "old; challenge the user again."
            )
        elif removing_factor is not None and row.factor_id == removing_factor:
            found.problems.append(
                f"The challenge went to the factor being {removing_as}; it proves nothing "
                "about the user. Challenge a factor they still hold, or the e-mail on file."
            )
        else:
            found.checks.add(CHANNEL_CHECK[row.channel])
            found.verification_ids.append(vid)
    return found


# -- refusals ---------------------------------------------------------------------------------


def refusal_error(code: RefusalCode | str, reasons: Sequence[str]) -> ServiceError:
    """The API error for a policy refusal; its `code` is the policy's, so the desk can act."""
    message = " ".join(reasons)
    code = str(code)
    error: ServiceError
    if code == RefusalCode.TICKET_REQUIRED:
        error = InvalidInput(message, field="ticket_id")
    elif code == RefusalCode.REASON_REQUIRED:
        error = InvalidInput(message, field="reason")
    elif code == RefusalCode.VERIFICATION_REQUIRED:
        error = InvalidInput(message, field="checks")
    elif code in (RefusalCode.NO_OTHER_FACTOR, RefusalCode.APPROVAL_EXPIRED, "pending"):
        error = Conflict(message)
    elif code == "not_found":
        error = NotFound(message)
    else:
        error = Forbidden(message)
    if not isinstance(error, InvalidInput):
        error.code = code
    return error


def decision_refusal(decision: Decision) -> ServiceError:
    assert decision.code is not None
    return refusal_error(decision.code, decision.reasons)


# -- four-eyes: a request for a lead ----------------------------------------------------------


async def pending_refusal(
    conn: AsyncConnection, action: Action, user_id: str, now: datetime
) -> ServiceError | None:
    """One request per action and user waits at a time: the refusal when one already does."""
    pending = (
        await conn.execute(
            select(approvals.c.id)
            .where(approvals.c.target_user_id == user_id)
            .where(approvals.c.action == action.value)
            .where(approvals.c.status == "pending")
            .where(approvals.c.expires_at > now)
        )
    ).first()
    if pending is None:
        return None
    return refusal_error(
        "pending",
        [
            f"Request #{pending.id} to {ACTION_TITLES[action].lower()} for this user is "
            "already waiting for a lead."
        ],
    )


async def file_approval(
    conn: AsyncConnection,
    *,
    action: Action,
    actor: Actor,
    facts: TargetFacts,
    ticket_id: str,
    reason: str,
    checks: Collection[str],
    verification_ids: Sequence[str],
    factor_id: str | None,
    decision: Decision,
    now: datetime,
    request_id: str,
    detail: Mapping[str, Any],
) -> Answer:
    """Store the request for a lead, audit it, and answer 202 with the approval."""
    params: dict[str, object] = {
        "requested_by_role": actor.role,
        "sensitive_because": list(sensitivity(facts.target, now)),
    }
    if factor_id is not None:
        params["factor_id"] = factor_id
    params["verification_ids"] = list(verification_ids)
    inserted = await conn.execute(
        approvals.insert().values(
            action=action.value,
            target_user_id=facts.id,
            requested_by=actor.name,
            ticket_id=ticket_id,
            reason=reason,
            verification=dump_checks(checks),
            params=dump_params(params),
            status="pending",
            created_at=now,
            expires_at=approval_expires_at(now),
        )
    )
    key = inserted.inserted_primary_key
    assert key is not None
    approval_id = int(key[0])
    await audit_recovery(
        conn,
        at=now,
        actor=actor,
        action=action,
        outcome="pending_approval",
        user_id=facts.id,
        ticket_id=ticket_id,
        reason=reason,
        verification=checks,
        detail={**detail, "approval_id": approval_id, "why": list(decision.reasons)},
        request_id=request_id,
    )
    view = await approval_view(conn, approval_id, now)
    because = " ".join(view.sensitive_because)
    return Answer(
        RecoveryResult(
            status="pending_approval",
            action=view.action,
            user_id=facts.id,
            summary=(
                f"Stored as request #{approval_id} for a team lead: {because} "
                "Nothing changes until a lead approves; the request lapses in 24 hours."
            ),
            approval=view,
        ),
        status_code=202,
    )


# -- carrying out -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """What an action changed, for the answer and the audit entry."""

    summary: str
    factors_removed: tuple[str, ...] = ()
    sessions_revoked: int = 0
    access_code: str | None = None
    access_code_expires_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """More for the audit entry (a re-enrolment: the methods left and the MFA status)."""

    def detail(self) -> dict[str, Any]:
        found: dict[str, Any] = {"factors_removed": list(self.factors_removed)}
        if self.sessions_revoked:
            found["sessions_revoked"] = self.sessions_revoked
        if self.access_code_expires_at is not None:
            found["access_code_expires_at"] = self.access_code_expires_at.isoformat()
        return {**found, **self.extra}

    def result(self, action: Action, user_id: str) -> RecoveryResult:
        return RecoveryResult(
            status="done",
            action=_wire_action(action),
            user_id=user_id,
            summary=self.summary,
            factors_removed=list(self.factors_removed),
            sessions_revoked=self.sessions_revoked,
            access_code=self.access_code,
            access_code_expires_at=self.access_code_expires_at,
        )


def _wire_action(action: Action) -> RecoveryAction:
    if action is Action.REMOVE_FACTOR:
        return "remove_factor"
    if action is Action.RESET_MFA:
        return "reset_mfa"
    if action is Action.ISSUE_ACCESS_CODE:
        return "issue_access_code"
    if action is Action.REENROL_TOTP:
        return "reenrol_totp"
    raise ValueError(f"{action} is not a recovery action")


def next_sign_in(name: str, remaining: Sequence[str]) -> str:
    """What the user meets after a re-enrolment, in words the agent can read out."""
    if remaining:
        others = " or ".join(METHOD_WORDS.get(t, t) for t in remaining)
        return (
            f"{name} signs in with {others}, then Alvys asks to set up the authenticator"
            " app again with a new QR code."
        )
    return (
        f"{name} has no other method: the next sign-in goes straight to MFA setup,"
        " where Alvys shows a new QR code to scan."
    )


@dataclass(frozen=True)
class Retired:
    """What retiring an authenticator app's secret left the user with."""

    remaining_methods: list[str]
    mfa_status: str


async def retire_app(
    conn: AsyncConnection,
    user: Mapping[Any, Any],
    active: Sequence[Mapping[Any, Any]],
    app: Mapping[Any, Any],
    now: datetime,
) -> Retired:
    """Re-enrol: the app's secret is gone (its codes fail at once), a new QR code is due."""
    remaining = sorted({f["type"] for f in active if f["id"] != app["id"]})
    mfa_status = str(user["mfa_status"]) if remaining else "setup_required"
    await conn.execute(
        factors.update()
        .where(factors.c.id == app["id"])
        .values(removed_at=now, totp_secret=None, last_totp_step=None)
    )
    await conn.execute(
        users.update()
        .where(users.c.id == user["id"])
        .values(enrol_required="totp", mfa_status=mfa_status)
    )
    return Retired(remaining, mfa_status)


async def carry_out(
    conn: AsyncConnection,
    ctx: ServiceContext,
    action: Action,
    facts: TargetFacts,
    *,
    factor_id: str | None,
    issued_by: str,
    now: datetime,
) -> Effect:
    """Make the change; the caller has already had the policy's yes."""
    name = str(facts.user["name"])
    if action is Action.REMOVE_FACTOR:
        lost = facts.factor(factor_id or "")
        assert lost is not None
        await conn.execute(
            factors.update().where(factors.c.id == lost["id"]).values(removed_at=now)
        )
        left = [factor_words(f) for f in facts.factors if f["id"] != lost["id"]]
        return Effect(
            summary=f"Removed {factor_words(lost)}. {name} still has: {', '.join(left)}.",
            factors_removed=(factor_words(lost),),
        )
    if action is Action.RESET_MFA:
        await conn.execute(
            factors.update()
            .where(factors.c.user_id == facts.id)
            .where(factors.c.removed_at.is_(None))
            .values(removed_at=now)
        )
        await conn.execute(
            users.update()
            .where(users.c.id == facts.id)
            .values(mfa_status="setup_required", enrol_required=None, last_mfa_reset_at=now)
        )
        revoked = await conn.execute(
            user_sessions.update()
            .where(user_sessions.c.user_id == facts.id)
            .where(user_sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        count = len(facts.factors)
        return Effect(
            summary=(
                f"MFA reset: {count} factor{'s' if count != 1 else ''} removed, "
                f"{revoked.rowcount} session{'s' if revoked.rowcount != 1 else ''} signed out. "
                f"At the next sign-in {name} sets MFA up again."
            ),
            factors_removed=tuple(factor_words(f) for f in facts.factors),
            sessions_revoked=int(revoked.rowcount),
        )
    if action is Action.ISSUE_ACCESS_CODE:
        code = new_access_code()
        expires = now + timedelta(seconds=ctx.settings.access_code_s)
        # Only one live code per user: a new one (say, after a lost answer) replaces the old.
        await conn.execute(
            access_codes.update()
            .where(access_codes.c.user_id == facts.id)
            .where(access_codes.c.used_at.is_(None))
            .where(access_codes.c.expires_at > now)
            .values(expires_at=now)
        )
        await conn.execute(
            access_codes.insert().values(
                user_id=facts.id,
                code_hash=code_digest(ctx.server_key, normalise_access_code(code)),
                issued_by=issued_by,
                created_at=now,
                expires_at=expires,
            )
        )
        minutes = ctx.settings.access_code_s // 60
        return Effect(
            summary=(
                f"One-time access code issued for {name}: valid for {minutes} min, one sign-in, "
                "to set up a new method. It is shown only once."
            ),
            access_code=code,
            access_code_expires_at=expires,
        )
    if action is Action.REENROL_TOTP:
        app = facts.factor(factor_id or "")
        assert app is not None and app["type"] == "totp"
        retired = await retire_app(conn, facts.user, facts.factors, app, now)
        return Effect(
            summary=(
                f"Re-enrolled {factor_words(app)}: the codes it shows are refused from now on. "
                f"{next_sign_in(name, retired.remaining_methods)}"
            ),
            factors_removed=(factor_words(app),),
            extra={
                "label": app["label"],
                "remaining_methods": retired.remaining_methods,
                "mfa_status": retired.mfa_status,
            },
        )
    raise ValueError(f"{action} is not a recovery action")


def factor_gone(action: Action) -> ServiceError:
    """The refusal when the factor a request names is no longer on the account."""
    if action is Action.REENROL_TOTP:
        return Conflict("The authenticator app this request would re-enrol is already retired.")
    return Conflict("The factor this request would remove is already gone.")


async def audit_recovery(
    conn: AsyncConnection,
    *,
    at: datetime,
    actor: Actor,
    action: Action,
    outcome: str,
    user_id: str,
    ticket_id: str | None,
    reason: str | None,
    verification: Collection[str],
    detail: Mapping[str, Any],
    request_id: str,
) -> None:
    await append_audit(
        conn,
        at=at,
        actor=actor,
        action=AUDIT_NAMES[action],
        outcome=outcome,
        target_user=user_id,
        ticket_id=ticket_id,
        reason=reason,
        verification=sorted(verification),
        detail=detail,
        request_id=request_id,
    )


# -- approvals as the desk sees them --------------------------------------------------------------


def approval_params(row: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = json.loads(row["params"])
    return params


def dump_params(params: Mapping[str, Any]) -> str:
    return canonical_json(dict(params))


def dump_checks(names: Iterable[str]) -> str:
    """The approvals table's `verification`: a canonical JSON list of check names."""
    return canonical_json(sorted(names))


def approval_status(row: Mapping[str, Any], now: datetime) -> str:
    """Pending past its expiry reads as expired, whether or not anyone has touched it."""
    if row["status"] == "pending" and row["expires_at"] <= now:
        return "expired"
    return str(row["status"])


async def approval_views(
    conn: AsyncConnection, rows: Sequence[Mapping[Any, Any]], now: datetime
) -> list[Approval]:
    """Rows of `approvals` with the names a lead needs to judge them (two queries, not N)."""
    user_ids = {r["target_user_id"] for r in rows}
    factor_ids = {approval_params(r).get("factor_id") for r in rows} - {None}
    people = {
        r.id: r._mapping for r in await conn.execute(select(users).where(users.c.id.in_(user_ids)))
    }
    factor_rows = {
        r.id: r._mapping
        for r in await conn.execute(select(factors).where(factors.c.id.in_(factor_ids)))
    }
    views: list[Approval] = []
    for row in rows:
        params = approval_params(row)
        person = people[row["target_user_id"]]
        target = Target(
            kind=TargetKind(person["kind"]),
            is_admin=bool(person["is_admin"]),
            is_staff=bool(person["is_staff"]),
            last_mfa_reset_at=person["last_mfa_reset_at"],
            factor_count=0,
        )
        factor = factor_rows.get(params.get("factor_id", ""))
        views.append(
            Approval(
                id=row["id"],
                action=_wire_action(Action(row["action"])),
                action_title=ACTION_TITLES[Action(row["action"])],
                target_user_id=row["target_user_id"],
                target_name=person["name"],
                target_company=person["company"],
                requested_by=row["requested_by"],
                requested_by_role=str(params.get("requested_by_role", "agent")),
                ticket_id=row["ticket_id"],
                reason=row["reason"],
                verification=json.loads(row["verification"]),
                factor_label=factor_words(factor) if factor is not None else None,
                sensitive_because=list(params.get("sensitive_because") or sensitivity(target, now)),
                status=approval_status(row, now),  # type: ignore[arg-type]
                created_at=row["created_at"],
                expires_at=row["expires_at"],
                decided_by=row["decided_by"],
                decided_at=row["decided_at"],
                decision_note=row["decision_note"],
            )
        )
    return views


async def approval_view(conn: AsyncConnection, approval_id: int, now: datetime) -> Approval:
    row = (await conn.execute(select(approvals).where(approvals.c.id == approval_id))).first()
    if row is None:
        raise NotFound(f"no approval request #{approval_id}")
    return (await approval_views(conn, [row._mapping], now))[0]


# -- how the desk names a destination ---------------------------------------------------------


def mask_email(address: str) -> str:
    """Enough for the user to recognise ("b•••@cascadefreight.example"), not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def mask_phone(e164: str | None) -> str:
    return mask_e164(e164) if e164 else "•••"
