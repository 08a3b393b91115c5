"""The only builders of audit entries: each action's name, outcomes and detail, in one place.

Operations and the demo history both build their entries here and append them with
`record`, so the log a lead reviews says the same thing however it was written. A
builder takes plain values and returns an `Entry`; `record` adds the time and the
request id and appends it to the chain in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.policy import Action
from supportdesk.service.audit.actions import ACTIONS, RECOVERY_ACTIONS
from supportdesk.service.audit.chain import Actor, append_audit

SYSTEM = Actor(name="system", role="system")
"""Who writes what no person did (the demo seed)."""


@dataclass(frozen=True)
class Entry:
    """One audit entry before it has a time, a place in the chain and a request id."""

    actor: Actor
    action: str
    outcome: str
    target_user: str | None = None
    ticket_id: str | None = None
    reason: str | None = None
    verification: tuple[str, ...] | None = None
    detail: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"{self.action!r} is not an audit action: name it in audit/actions.py")


async def record(
    conn: AsyncConnection, entry: Entry, *, at: datetime, request_id: str | None = None
) -> int:
    """Append the entry to the chain in the caller's transaction; its seq."""
    return await append_audit(
        conn,
        at=at,
        actor=entry.actor,
        action=entry.action,
        outcome=entry.outcome,
        target_user=entry.target_user,
        ticket_id=entry.ticket_id,
        reason=entry.reason,
        verification=list(entry.verification) if entry.verification is not None else None,
        detail=entry.detail,
        request_id=request_id,
    )


def _detail(fields: Mapping[str, Any]) -> dict[str, Any]:
    return dict(fields)


# -- agents' own sessions -----------------------------------------------------------------


def agent_signin(actor: Actor, outcome: str, **detail: Any) -> Entry:
    """success, failed (wrong credentials), locked_out, refused (while locked out)."""
    return Entry(actor, "agent.signin", outcome, detail=_detail(detail) if detail else None)


def enduser_locked_out(email: str, step: str, **detail: Any) -> Entry:
    """An end user's budget of wrong passwords or codes ran out (`step`: password, code)."""
    actor = Actor(name=email[:64], role="enduser")
    return Entry(actor, "enduser.signin", "locked_out", detail={"step": step, **detail})


def enduser_throttled(email: str, **detail: Any) -> Entry:
    """A source address past its limit of wrong end-user passwords was refused (the first
    refusal of each minute; `email` is the one that refusal named)."""
    actor = Actor(name=email[:64], role="enduser")
    return Entry(actor, "enduser.signin", "refused", detail={"step": "password", **detail})


def agent_created(actor: Actor, username: str, role: str) -> Entry:
    """A desk account was made (`supportdesk agent add`): who, and as which role."""
    return Entry(actor, "agent.create", "success", detail={"username": username, "role": role})


def agent_signout(actor: Actor, reason: str | None = None) -> Entry:
    """The session ended: signed out, or locked (`reason`, when the desk said which)."""
    return Entry(actor, "agent.signout", "success", detail={"reason": reason} if reason else None)


# -- tickets and the log itself -----------------------------------------------------------------


def ticket_resolved(
    actor: Actor, *, ticket_id: str, user_id: str | None, outcome: str, note: str
) -> Entry:
    return Entry(
        actor,
        "ticket.resolve",
        "success",
        target_user=user_id,
        ticket_id=ticket_id,
        reason=note,
        detail={"outcome": outcome},
    )


def ticket_reply(
    actor: Actor, *, ticket_id: str, user_id: str | None, reply_id: int, length: int, delivery: str
) -> Entry:
    """A reply to the user: its id and length, not its words (those are on the ticket)."""
    return Entry(
        actor,
        "ticket.reply",
        "success",
        target_user=user_id,
        ticket_id=ticket_id,
        detail={"reply_id": reply_id, "length": length, "delivery": delivery},
    )


def ticket_branch_corrected(
    actor: Actor, *, ticket_id: str, user_id: str | None, guessed: str, branch: str
) -> Entry:
    """The agent put the ticket in another branch than the desk guessed."""
    return Entry(
        actor,
        "ticket.branch_corrected",
        "success",
        target_user=user_id,
        ticket_id=ticket_id,
        detail={"guessed": guessed, "branch": branch},
    )


def audit_exported(actor: Actor, *, fmt: str, filters: Mapping[str, Any]) -> Entry:
    """A sensitive read: the start of an export, in the format the file is written in."""
    return Entry(actor, "audit.export", "success", detail={"format": fmt, "filters": filters})


def demo_seeded(*, agents: int, users: int, tickets: int) -> Entry:
    return Entry(
        SYSTEM,
        "demo.seed",
        "success",
        detail={"agents": agents, "users": users, "tickets": tickets},
    )


# -- SMS ---------------------------------------------------------------------------------------


def number_compared(
    actor: Actor, *, user_id: str, ticket_id: str | None, outcome: str, **detail: Any
) -> Entry:
    """A stated number held against the one on file (outcome: the verdict, or rate_limited)."""
    return Entry(
        actor,
        "sms.compare_number",
        outcome,
        target_user=user_id,
        ticket_id=ticket_id,
        detail=_detail(detail),
    )


def sms_sent(
    actor: Actor,
    *,
    action: str,
    user_id: str,
    ticket_id: str | None,
    reason: str | None,
    outcome: str,
    **detail: Any,
) -> Entry:
    """A code texted: `action` is sms.resend (an agent) or sms.send (the user's own);
    outcome queued, refused or rate_limited."""
    return Entry(
        actor,
        action,
        outcome,
        target_user=user_id,
        ticket_id=ticket_id,
        reason=reason,
        detail=_detail(detail),
    )


def sms_send_failed(
    actor: Actor, *, user_id: str, ticket_id: str | None, reason: str | None, **detail: Any
) -> Entry:
    """The carrier refused a text that was queued: the code died with it."""
    return Entry(
        actor,
        "sms.send_failed",
        "failed",
        target_user=user_id,
        ticket_id=ticket_id,
        reason=reason,
        detail=_detail(detail),
    )


def sms_handed_over(
    actor: Actor, *, user_id: str, ticket_id: str | None, reason: str | None, **detail: Any
) -> Entry:
    """A provider in front of another server sent a queued text; `detail.provider` names
    that server's audit row, so a lead can cross-check the two logs."""
    return Entry(
        actor,
        "sms.sent",
        "sent",
        target_user=user_id,
        ticket_id=ticket_id,
        reason=reason,
        detail=_detail(detail),
    )


def switched_to_authenticator(
    actor: Actor,
    *,
    user_id: str,
    ticket_id: str | None,
    reason: str,
    outcome: str,
    **detail: Any,
) -> Entry:
    """success, unchanged (already due) or refused."""
    return Entry(
        actor,
        "sms.switch_to_authenticator",
        outcome,
        target_user=user_id,
        ticket_id=ticket_id,
        reason=reason,
        detail=_detail(detail),
    )


# -- authenticator apps ------------------------------------------------------------------------


def totp_diagnosed(
    actor: Actor,
    *,
    user_id: str,
    ticket_id: str,
    factor_id: str,
    codes: int,
    phone_time: bool,
    verdict: str,
    basis: str,
    matched: bool | None = None,
    unique: bool | None = None,
    drift_s: int | None = None,
) -> Entry:
    """What the log keeps of a diagnosis: figures, never the codes typed."""
    detail: dict[str, Any] = {
        "factor_id": factor_id,
        "codes": codes,
        "phone_time": phone_time,
        "verdict": verdict,
        "basis": basis,
    }
    if matched is not None:
        detail["matched"] = matched
    if unique is not None:
        detail["unique"] = unique
    if drift_s is not None:
        detail["drift_s"] = drift_s
    return Entry(
        actor, "totp.diagnose", "success", target_user=user_id, ticket_id=ticket_id, detail=detail
    )


def totp_diagnose_limited(
    actor: Actor, *, user_id: str, ticket_id: str, factor_id: str, retry_after_s: int
) -> Entry:
    return Entry(
        actor,
        "totp.diagnose",
        "rate_limited",
        target_user=user_id,
        ticket_id=ticket_id,
        detail={"factor_id": factor_id, "retry_after_s": retry_after_s},
    )


# -- identity challenges ------------------------------------------------------------------------


def challenge(actor: Actor, *, user_id: str, ticket_id: str, outcome: str, **detail: Any) -> Entry:
    """A code sent to a factor or the e-mail on file: sent, refused, or failed (carrier)."""
    return Entry(
        actor,
        "recovery.challenge",
        outcome,
        target_user=user_id,
        ticket_id=ticket_id,
        detail=_detail(detail),
    )


def challenge_answered(
    actor: Actor,
    *,
    user_id: str,
    ticket_id: str,
    outcome: str,
    check: str,
    challenge_id: str,
    channel: str,
) -> Entry:
    """verified (the check counts from now), failed (wrong code) or refused (finished)."""
    return Entry(
        actor,
        "recovery.challenge.answer",
        outcome,
        target_user=user_id,
        ticket_id=ticket_id,
        verification=(check,) if outcome == "verified" else (),
        detail={"challenge_id": challenge_id, "channel": channel},
    )


# -- account changes that may need four-eyes -------------------------------------------------------


def account_change(
    actor: Actor,
    action: Action,
    outcome: str,
    *,
    user_id: str,
    ticket_id: str | None,
    reason: str | None,
    verification: Collection[str],
    detail: Mapping[str, Any],
) -> Entry:
    """Remove a factor, reset MFA, issue an access code, re-enrol the app: success,
    refused, or pending_approval (filed for a lead)."""
    return Entry(
        actor,
        RECOVERY_ACTIONS[action],
        outcome,
        target_user=user_id,
        ticket_id=ticket_id,
        reason=reason,
        verification=tuple(sorted(verification)),
        detail=_detail(detail),
    )


def approval_decided(
    lead: Actor,
    *,
    approve: bool,
    outcome: str,
    approval_id: int,
    action: str,
    requested_by: str,
    user_id: str,
    ticket_id: str | None,
    reason: str,
    verification: Collection[str],
    **detail: Any,
) -> Entry:
    """approval.approve (approved, refused) or approval.deny (denied, withdrawn, refused)."""
    return Entry(
        lead,
        "approval.approve" if approve else "approval.deny",
        outcome,
        target_user=user_id,
        ticket_id=ticket_id,
        reason=reason,
        verification=tuple(verification),
        detail={
            "approval_id": approval_id,
            "action": action,
            "requested_by": requested_by,
            **detail,
        },
    )
