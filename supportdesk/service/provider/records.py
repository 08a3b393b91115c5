"""What an identity provider hands out: plain records, no secrets.

A `FactorRecord` carries no seed, `QueuedSms.text` is for the gateway only, and
`IssuedCode.code` is shown once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from supportdesk.service.errors import NotFound


class UnknownUser(NotFound):
    """No user by that id (the message names it)."""


@dataclass(frozen=True)
class UserRecord:
    """A user as the provider knows them."""

    id: str
    name: str
    email: str
    company: str
    region: str
    timezone: str
    kind: str
    is_admin: bool
    is_staff: bool
    mfa_status: str
    enrol_required: str | None
    last_mfa_reset_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class FoundUser:
    """A search hit: the user and the types of their active factors."""

    user: UserRecord
    factor_types: tuple[str, ...]


@dataclass(frozen=True)
class FactorRecord:
    """One of a user's factors (a privacyIDEA token: `id` is its serial). No secrets.

    `usable` is False for an authenticator whose secret is gone; `locked` is True when
    the provider refuses even right codes until an admin unlocks it (a fail counter).
    """

    id: str
    user_id: str
    type: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    phone_e164: str | None = field(default=None, repr=False)
    key_model: str | None = None
    usable: bool = True
    locked: bool = False
    fail_count: int | None = None
    """Wrong codes in a row, where the provider counts them (with `max_fail`)."""
    max_fail: int | None = None
    clock_offset_s: float | None = None
    """The phone's clock offset the provider learnt (privacyIDEA: `timeShift`)."""


class CodeVerdict(StrEnum):
    """What the provider made of a code typed for a factor."""

    ACCEPTED = "accepted"
    REUSED = "reused"
    """The right code, but already used once: wait for the next one."""
    WRONG = "wrong"
    LOCKED = "locked"
    """The factor is locked by its fail counter: not even a right code is accepted."""


SmsPurpose = Literal["signin", "challenge"]
"""A code the user signs in with (the SMS branch's resend), or one they read back to the
agent as an identity check (never valid for signing in)."""


@dataclass(frozen=True)
class QueuedSms:
    """A text made ready in the operation's transaction, to be sent after it commits."""

    purpose: SmsPurpose
    user_id: str
    factor_id: str
    to_e164: str = field(repr=False)
    text: str = field(repr=False)
    phone_masked: str
    gateway: str
    reference: str
    """The desk's own id for the message, as the carrier is told it."""
    handle: str | None = field(default=None, repr=False)
    """For a challenge: what `check_sms_code` needs to check the answer (kept by the desk)."""
    delivery_id: int | None = None
    """The provider's delivery record, when it keeps a delivery log."""
    code_ref: int | None = None
    """The provider's own reference to the code, when it keeps one."""


@dataclass(frozen=True)
class SmsState:
    """Where a text stands after the provider was asked to send it."""

    status: Literal["queued", "sent", "delivered", "failed", "undelivered"]
    reason: str | None = None
    reason_code: str | None = None
    at: datetime | None = None
    provider_ref: str | None = None
    handle: str | None = field(default=None, repr=False)
    """A check handle known only once sent (a transaction id); replaces the queued one."""

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "undelivered")


@dataclass(frozen=True)
class SmsDeliveryRecord:
    """A text in the provider's delivery log, in its current state."""

    id: int
    factor_id: str
    at: datetime
    updated_at: datetime
    phone_masked: str
    status: str
    reason: str | None
    reason_code: str | None


@dataclass(frozen=True)
class Retired:
    """What retiring an authenticator app's secret left the user with."""

    remaining_methods: list[str]
    mfa_status: str


@dataclass(frozen=True)
class IssuedCode:
    """A temporary access code (privacyIDEA: a lost-token replacement), shown once."""

    code: str = field(repr=False)
    expires_at: datetime


SignInStep = Literal["signed_in", "enrol_only"]


@dataclass(frozen=True)
class ProviderEvent:
    """A row of the provider's own log (what happened there, beside the desk's chain)."""

    at: datetime
    action: str
    outcome: str
    factor_id: str | None
    detail: str
    number: int | None = None
    """The row's number in the provider's log, to name it in the desk's own entry."""
    signature_ok: bool | None = None
    """The provider's own check of the row's signature; None where it signs none."""
