"""What the month's stories are made of: identity challenges, resets' effects, account
changes, and the four-eyes requests a lead approved or denied."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.phone import mask_e164
from supportdesk.rules.policy import (
    Action,
    Check,
    Outcome,
    approval_expires_at,
    decide,
    sensitivity,
)
from supportdesk.service.audit import Entry
from supportdesk.service.audit import entries as audit
from supportdesk.service.demo.history.base import (
    MORGAN,
    OLD_FACTORS,
    Story,
    Ticket,
    Where,
)
from supportdesk.service.demo.history.timeline import Timeline
from supportdesk.service.ops.common import mask_email
from supportdesk.service.store.approvals import dump_checks, dump_params
from supportdesk.service.store.schema import approvals

Detail = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


class FourEyes(Timeline):
    """Challenges, account changes and four-eyes requests, for the stories to tell."""

    def change(
        self,
        ticket: Ticket,
        at: datetime,
        action: Action,
        outcome: str,
        reason: str,
        verification: Sequence[str],
        detail: Detail,
        *,
        rid: str | None = None,
    ) -> None:
        """An account change the ticket's agent did (or asked for) on the ticket's user."""

        def entry() -> Entry:
            return audit.account_change(
                ticket.agent,
                action,
                outcome,
                user_id=ticket.user,
                ticket_id=ticket.id,
                reason=reason,
                verification=verification,
                detail=detail() if callable(detail) else detail,
            )

        self.log(at, entry, rid=rid)

    def challenge(
        self, ticket: Ticket, at: datetime, channel: str = "email"
    ) -> tuple[datetime, str]:
        """A code sent to the e-mail on file (or a factor) and read back: when, and its id."""
        cid = base64.urlsafe_b64encode(self.rng.randbytes(16)).decode().rstrip("=")
        if channel == "email":
            destination = f"e-mail {mask_email(self.users[ticket.user].email)}"
            check = Check.EMAIL_CODE
        else:
            factor = self.factors_at(ticket.user, at, channel)[0]
            destination = factor.words
            if factor.phone:
                destination += f" ({mask_e164(factor.phone)})"
            check = Check.FACTOR_CHALLENGE
        about = {"user_id": ticket.user, "ticket_id": ticket.id}
        sent = audit.challenge(
            ticket.agent,
            **about,
            outcome="sent",
            challenge_id=cid,
            channel=channel,
            destination=destination,
        )
        self.log(at, sent)
        answered = self.later(at, 1, 4)
        read_back = audit.challenge_answered(
            ticket.agent,
            **about,
            outcome="verified",
            check=check.value,
            challenge_id=cid,
            channel=channel,
        )
        self.log(answered, read_back)
        return answered, cid

    def reset_effects(
        self, user_id: str, at: datetime, enrolled_from: Where | None
    ) -> dict[str, Any]:
        """Every factor removed at `at`; the user enrolled the world's factors soon after."""
        if user_id in OLD_FACTORS:  # the world's own reset: its factors date from it already
            gone = [self.old_factor(f, user_id, at) for f in OLD_FACTORS[user_id]]
        else:
            enrol = self.later(at, 95, 140) if enrolled_from else self.later(at, 20, 90)
            again = self.factors_at(user_id, at)
            gone = [self.old_factor(factor, user_id, at) for factor in again]
            self.enrol_again(user_id, again, enrol, enrolled_from)
        self.last_reset[user_id] = at
        effect: dict[str, Any] = {"factors_removed": [g.words for g in gone]}
        if self.rng.random() < 0.4:
            effect["sessions_revoked"] = 1
        return effect

    def approval(
        self,
        ticket: Ticket,
        asked: datetime,
        decided: datetime,
        reason: str,
        checks: Sequence[Check],
        cid: str,
        *,
        approve: bool,
        note: str,
    ) -> None:
        """A four-eyes request: stored and audited, then approved and carried out, or denied."""
        target = self.target(ticket.user, asked)
        names = sorted(c.value for c in checks)
        decision = decide(
            Action.RESET_MFA,
            ticket.agent.role,
            target,
            ticket_id=ticket.id,
            reason=reason,
            checks=set(checks),
            now=asked,
        )
        assert decision.outcome is Outcome.NEEDS_APPROVAL, (ticket.user, decision)
        params = {
            "requested_by_role": ticket.agent.role,
            "sensitive_because": list(sensitivity(target, asked)),
            "verification_ids": [cid],
        }
        row = {
            "action": Action.RESET_MFA.value,
            "target_user_id": ticket.user,
            "requested_by": ticket.agent.name,
            "ticket_id": ticket.id,
            "reason": reason,
            "verification": dump_checks(names),
            "params": dump_params(params),
            "status": "approved" if approve else "denied",
            "created_at": asked,
            "expires_at": approval_expires_at(asked),
            "decided_by": MORGAN.name,
            "decided_at": decided,
            "decision_note": note,
        }
        made: dict[str, int] = {}

        async def store(conn: AsyncConnection) -> None:
            key = (await conn.execute(approvals.insert().values(row))).inserted_primary_key
            assert key is not None
            made["id"] = int(key[0])

        self.steps.append((asked, store))
        self.change(
            ticket,
            asked,
            Action.RESET_MFA,
            "pending_approval",
            reason,
            names,
            lambda: {
                "verification_ids": [cid],
                "approval_id": made["id"],
                "why": list(decision.reasons),
            },
        )

        def decision_entry() -> Entry:
            return audit.approval_decided(
                MORGAN,
                approve=approve,
                outcome="approved" if approve else "denied",
                approval_id=made["id"],
                action=Action.RESET_MFA.value,
                requested_by=ticket.agent.name,
                user_id=ticket.user,
                ticket_id=ticket.id,
                reason=reason,
                verification=names,
                note=note,
            )

        rid = self.rid()
        self.log(decided, decision_entry, rid=rid)
        if not approve:
            return
        effect = self.reset_effects(ticket.user, decided, None)
        self.change(
            ticket,
            decided,
            Action.RESET_MFA,
            "success",
            reason,
            names,
            lambda: {"approval_id": made["id"], "approved_by": MORGAN.name, **effect},
            rid=rid,
        )

    def approved_reset_story(self, reason: str, checks: Sequence[Check], *, note: str) -> Story:
        def run(ticket: Ticket) -> datetime:
            answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2))
            asked = self.later(answered, 1, 3)
            decided = self.later(asked, 12, 30)
            self.approval(ticket, asked, decided, reason, checks, cid, approve=True, note=note)
            done = "MFA reset with a lead's approval; sets it up again at the next sign-in."
            return self.resolve(ticket, self.later(decided, 3, 8), "mfa_reset", done)

        return run

    def denied_story(self, ticket: Ticket) -> datetime:
        answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2))
        asked = self.later(answered, 1, 3)
        decided = self.later(asked, 20, 40)
        self.approval(
            ticket,
            asked,
            decided,
            "Admin locked out after a phone upgrade; asks for a reset by chat.",
            (Check.EMAIL_CODE, Check.LAST_SIGNIN_LOCATION),
            cid,
            approve=False,
            note="An admin: needs the owner call-back first. Rang the company line, no answer.",
        )
        note = "Lead declined until the company's account owner confirms; user to call back."
        return self.resolve(ticket, self.later(decided, 4, 10), "escalated", note)
