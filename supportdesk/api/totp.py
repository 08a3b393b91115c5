"""Branch 2 of the tree on the wire: "Authenticator code not accepted".

The desk sends what the agent typed (the codes the user reads out, the time
their phone shows) and gets back the service's verdict and its figures. Only
measurements and advice come back: never the factor's secret, never a code the
server computed, so the diagnosis cannot be used to read codes off the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import Field

from supportdesk.api.base import ClientBase, parse, seg
from supportdesk.api.models import FactorType, MfaStatus, UserProfile, Wire
from supportdesk.api.recovery import RecoveryResult, new_idempotency_key
from supportdesk.rules.clock_verdict import Basis as VerdictBasis
from supportdesk.rules.clock_verdict import VerdictKind
from supportdesk.rules.policy import Check

MAX_CODES = 3
"""One code, the next one, and one more for an agent who wants to be sure."""


class TotpDiagnoseRequest(Wire):
    """What the agent heard: codes in the order read, and/or the phone's clock.

    Codes are checked by the service (digits, length) so the agent gets its
    message; the limits here only keep junk out.
    """

    ticket_id: str = Field(min_length=1, max_length=16)
    codes: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=MAX_CODES
    )
    phone_time: str | None = Field(default=None, max_length=200)
    factor_id: str | None = Field(default=None, max_length=24)


class DriftFigures(Wire):
    """One measurement of the phone's clock minus the server's, in seconds.

    Positive means the phone is fast. It is a range, never a point: a code
    pins the clock to a 30-second step, a time without seconds to a minute.
    """

    low_s: float
    high_s: float
    center_s: float
    phrase: str


class CodeCheck(Wire):
    """What the codes said: where in the search window they matched, if anywhere."""

    codes_used: int
    matched: bool
    unique: bool
    offset_steps: int | None
    other_matches: int
    window_s: int
    drift: DriftFigures | None
    phrase: str


class PhoneTimeCheck(Wire):
    """How the typed phone time was read, so the agent can see it was understood."""

    text: str
    shown_at: datetime
    has_seconds: bool
    has_date: bool
    has_zone: bool
    drift: DriftFigures


class TotpDiagnosis(Wire):
    """The verdict for the agent, with the figures it rests on."""

    user_id: str
    factor_id: str
    factor_label: str
    ticket_id: str
    checked_at: datetime
    user_timezone: str
    kind: VerdictKind
    headline: str
    steps: list[str]
    notes: list[str]
    certain: bool
    basis: VerdictBasis
    drift: DriftFigures | None
    codes: CodeCheck | None
    phone_time: PhoneTimeCheck | None


class TotpReenrolRequest(Wire):
    """Retire the app's secret so the user scans a new QR code at next sign-in.

    ``verification`` lists the identity checks the agent did and attests to;
    the strong, service-verified ones (factor challenge, e-mail code) count
    only through ``verification_ids`` from answered challenges, as for the
    lost-phone actions. The policy says how many are needed. An empty reason
    is refused by the policy, with its own message, rather than by the schema.
    """

    ticket_id: str = Field(min_length=1, max_length=16)
    reason: str = Field(default="", max_length=2000)
    verification: list[Check] = Field(default_factory=list, max_length=len(Check))
    verification_ids: list[str] = Field(default_factory=list, max_length=5)
    factor_id: str | None = Field(default=None, max_length=24)


class TotpReenrolment(Wire):
    """What re-enrolment changed and what the user will meet at next sign-in."""

    user_id: str
    retired_factor_id: str
    retired_label: str
    retired_at: datetime
    enrol_required: FactorType
    mfa_status: MfaStatus
    remaining_methods: list[FactorType]
    next_sign_in: str
    profile: UserProfile


class TotpCalls(ClientBase):
    """The authenticator branch: diagnose a code that is not accepted, re-enrol the app."""

    async def diagnose_totp(
        self,
        user_id: str,
        ticket_id: str,
        *,
        codes: Sequence[str] = (),
        phone_time: str | None = None,
        factor_id: str | None = None,
    ) -> TotpDiagnosis:
        """Audited and rate-limited per user by the service: each call with codes counts."""
        body = TotpDiagnoseRequest(
            ticket_id=ticket_id,
            codes=list(codes),
            phone_time=phone_time or None,
            factor_id=factor_id,
        )
        return await self._post(f"/v1/users/{seg(user_id)}/totp/diagnose", TotpDiagnosis, body)

    async def reenrol_totp(
        self,
        user_id: str,
        ticket_id: str,
        *,
        reason: str,
        verification: Sequence[Check | str] = (),
        verification_ids: Sequence[str] = (),
        factor_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> TotpReenrolment | RecoveryResult:
        """Re-enrolled now, or (a sensitive account) stored for a lead: a `RecoveryResult`
        with status "pending_approval" and the approval.

        `verification` is what the agent attests to; a factor challenge or an e-mail
        code counts only as `verification_ids` from `answer_challenge`.

        Sent with an idempotency key (one is made up when none is given), so a retry
        returns the first answer instead of acting twice.
        """
        body = TotpReenrolRequest(
            ticket_id=ticket_id,
            reason=reason,
            verification=[Check(c) for c in verification],
            verification_ids=list(verification_ids),
            factor_id=factor_id,
        )
        response = await self._send(
            "POST",
            f"/v1/users/{seg(user_id)}/totp/reenrol",
            json=body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        if response.status_code == 202:
            return parse(RecoveryResult, response)
        return parse(TotpReenrolment, response)
