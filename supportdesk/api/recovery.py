"""Branch 3 of the tree on the wire: lost phone or key, identity challenges, approvals.

Every state-changing call here carries an idempotency key (one is made up when
the caller gives none), so a retry after a dropped connection or a double Enter
returns the first answer instead of acting twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import Field

from supportdesk.api.base import ClientBase, seg
from supportdesk.api.models import Wire
from supportdesk.rules.policy import Action

ChallengeChannel = Literal["totp", "sms", "email"]
RecoveryAction = Literal["remove_factor", "reset_mfa", "issue_access_code", "reenrol_totp"]
"""What an approval can carry out (a re-enrolment is filed from the authenticator branch)."""
ApprovalStatus = Literal["pending", "approved", "denied", "expired"]
ApprovalFilter = Literal["pending", "decided", "all"]


# -- identity challenges ----------------------------------------------------------


class SendChallenge(Wire):
    """Send a code to (or, for the authenticator app, ask for a code from) the user."""

    ticket_id: str = Field(min_length=1, max_length=16)
    channel: ChallengeChannel
    factor_id: str | None = Field(default=None, max_length=24)


class ChallengeSent(Wire):
    """A challenge waiting for the user to read the code back to the agent."""

    id: str
    channel: ChallengeChannel
    check: str
    destination: str
    instructions: str
    expires_at: datetime


class AnswerChallenge(Wire):
    code: str = Field(min_length=1, max_length=16)


class ChallengeAnswered(Wire):
    """A code the service checked itself; `id` is the verification id to quote in an action."""

    id: str
    check: str
    channel: ChallengeChannel
    destination: str
    verified_at: datetime
    valid_until: datetime


# -- actions ------------------------------------------------------------------------


class RecoveryRequest(Wire):
    """The paperwork every recovery action carries: ticket, reason, identity checks.

    `checks` are the ones the agent performed and attests to; the strong,
    service-verified ones (factor challenge, e-mail code) count only through
    `verification_ids` from answered challenges.
    """

    ticket_id: str = Field(min_length=1, max_length=16)
    reason: str = Field(min_length=1, max_length=2000)
    checks: list[str] = Field(default_factory=list, max_length=10)
    verification_ids: list[str] = Field(default_factory=list, max_length=5)


class RemoveFactorRequest(RecoveryRequest):
    factor_id: str = Field(min_length=1, max_length=24)


class Approval(Wire):
    """A request a team lead approves or denies (four-eyes on sensitive accounts)."""

    id: int
    action: RecoveryAction
    action_title: str
    target_user_id: str
    target_name: str
    target_company: str
    requested_by: str
    requested_by_role: str
    ticket_id: str | None
    reason: str
    verification: list[str]
    factor_label: str | None = None
    sensitive_because: list[str]
    status: ApprovalStatus
    created_at: datetime
    expires_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None


class RecoveryResult(Wire):
    """What happened: done now, or stored as a request awaiting a lead.

    `access_code` is set once, in the answer to the call that issued it; it is
    stored only as a keyed hash, so nobody can show it again.
    """

    status: Literal["done", "pending_approval"]
    action: RecoveryAction
    user_id: str
    summary: str
    factors_removed: list[str] = Field(default_factory=list)
    sessions_revoked: int = 0
    access_code: str | None = None
    access_code_expires_at: datetime | None = None
    approval: Approval | None = None


class ApprovalDecision(Wire):
    note: str = Field(default="", max_length=2000)


class ApprovalOutcome(Wire):
    """A lead's decision, and for an approval what the action did."""

    approval: Approval
    result: RecoveryResult | None = None


class ApprovalSummary(Wire):
    """Counts for the desk header: what waits for this lead, and this agent's open requests."""

    pending: int
    awaiting_you: int
    yours_pending: int


RECOVERY_ROUTES: dict[Action, str] = {
    Action.REMOVE_FACTOR: "remove-factor",
    Action.RESET_MFA: "reset",
    Action.ISSUE_ACCESS_CODE: "access-code",
}
"""The lost-device actions and where each is posted."""


def new_idempotency_key() -> str:
    """A fresh key for one state change; a retry of that change sends it again."""
    return uuid.uuid4().hex


def _key(given: str | None) -> str:
    return given or new_idempotency_key()


class RecoveryCalls(ClientBase):
    """Challenges, factor removal, MFA reset, one-time access codes and approvals."""

    async def send_challenge(
        self,
        user_id: str,
        *,
        ticket_id: str,
        channel: ChallengeChannel,
        factor_id: str | None = None,
    ) -> ChallengeSent:
        body = SendChallenge(ticket_id=ticket_id, channel=channel, factor_id=factor_id)
        return await self._post(f"/v1/recovery/{seg(user_id)}/challenges", ChallengeSent, body)

    async def answer_challenge(self, challenge_id: str, code: str) -> ChallengeAnswered:
        return await self._post(
            f"/v1/recovery/challenges/{seg(challenge_id)}/answer",
            ChallengeAnswered,
            AnswerChallenge(code=code.strip()),
        )

    async def recover(
        self,
        action: Action,
        user_id: str,
        *,
        ticket_id: str,
        reason: str,
        checks: Sequence[str] = (),
        verification_ids: Sequence[str] = (),
        factor_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> RecoveryResult:
        """Remove a lost factor, reset MFA or issue a one-time access code: one call,
        keyed by the policy's action (removal names the factor)."""
        route = RECOVERY_ROUTES.get(action)
        if route is None:
            raise ValueError(f"{action} is not a lost-device recovery action")
        request = RecoveryRequest(
            ticket_id=ticket_id,
            reason=reason,
            checks=list(checks),
            verification_ids=list(verification_ids),
        )
        body: RecoveryRequest = request
        if action is Action.REMOVE_FACTOR:
            if factor_id is None:
                raise ValueError("removing a factor needs the factor's id")
            body = RemoveFactorRequest(factor_id=factor_id, **request.model_dump())
        return await self._post(
            f"/v1/recovery/{seg(user_id)}/{route}",
            RecoveryResult,
            body,
            idempotency_key=_key(idempotency_key),
        )

    # -- approvals ----------------------------------------------------------------------

    async def list_approvals(
        self, status: ApprovalFilter = "pending", *, user_id: str | None = None, limit: int = 100
    ) -> list[Approval]:
        return await self._get(
            "/v1/approvals", list[Approval], status=status, user_id=user_id, limit=limit
        )

    async def get_approval(self, approval_id: int) -> Approval:
        return await self._get(f"/v1/approvals/{approval_id}", Approval)

    async def approval_summary(self) -> ApprovalSummary:
        return await self._get("/v1/approvals/summary", ApprovalSummary)

    async def approve(
        self, approval_id: int, note: str = "", *, idempotency_key: str | None = None
    ) -> ApprovalOutcome:
        return await self._post(
            f"/v1/approvals/{approval_id}/approve",
            ApprovalOutcome,
            ApprovalDecision(note=note),
            idempotency_key=_key(idempotency_key),
        )

    async def deny(
        self, approval_id: int, note: str, *, idempotency_key: str | None = None
    ) -> ApprovalOutcome:
        return await self._post(
            f"/v1/approvals/{approval_id}/deny",
            ApprovalOutcome,
            ApprovalDecision(note=note),
            idempotency_key=_key(idempotency_key),
        )
