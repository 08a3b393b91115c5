"""The identity provider's interface: the records it hands out and the calls it answers.

Every call that reads or changes what a user has takes ``conn``, the operation's own
store transaction: the built-in provider works in it, so a change and its audit entry
commit together; a provider in front of another server may ignore it (and then a
refused remote call raises before the operation writes its entry). The SMS calls come
in three steps so no transaction waits on a text: `queue_sms` in the operation's
transaction, `send_sms` outside any, `settle_sms` in the next one.

Records are plain data. Secrets stay inside the provider: a `FactorRecord` carries no
seed, `QueuedSms.text` is for the gateway only, `IssuedCode.code` is shown once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from supportdesk.rules.drift import DriftResult
from supportdesk.rules.risk import SignIn
from supportdesk.service.errors import NotSupported
from supportdesk.service.provider.records import (
    CodeVerdict,
    FactorRecord,
    FoundUser,
    IssuedCode,
    ProviderEvent,
    QueuedSms,
    Retired,
    SignInStep,
    SmsDeliveryRecord,
    SmsPurpose,
    SmsState,
    UnknownUser,
    UserRecord,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from supportdesk.service.security import Passwords
    from supportdesk.service.settings import ServiceSettings
    from supportdesk.service.sms import SmsGateway

__all__ = [
    "Capability",
    "CodeVerdict",
    "FactorRecord",
    "FoundUser",
    "IdentityProvider",
    "IssuedCode",
    "NotSupported",
    "ProviderEnv",
    "ProviderEvent",
    "QueuedSms",
    "Retired",
    "SignInStep",
    "SmsDeliveryRecord",
    "SmsPurpose",
    "SmsState",
    "UnknownUser",
    "UserRecord",
    "require",
]


class Capability(StrEnum):
    """What a provider may be able to do; each is declared offered or absent (with why)."""

    FIND_USERS = "find_users"
    READ_FACTORS = "read_factors"
    SIGN_IN_HISTORY = "sign_in_history"
    SEND_SMS = "send_sms"
    SMS_RECEIPTS = "sms_receipts"
    CHECK_TOTP = "check_totp"
    MEASURE_DRIFT = "measure_drift"
    RESYNC_TOTP = "resync_totp"
    UNLOCK_FACTOR = "unlock_factor"
    REMOVE_FACTOR = "remove_factor"
    RESET_MFA = "reset_mfa"
    RETIRE_TOTP = "retire_totp"
    REQUIRE_ENROLMENT = "require_enrolment"
    ACCESS_CODE = "access_code"
    ENDUSER_SIGNIN = "enduser_signin"
    PROVIDER_AUDIT = "provider_audit"


class ProviderEnv(Protocol):
    """What a provider may use of the service it runs in."""

    settings: ServiceSettings
    engine: AsyncEngine
    server_key: str
    passwords: Passwords
    sms_gateway: SmsGateway


class IdentityProvider(Protocol):
    """The calls operations make; each belongs to one `Capability` (see its docstring)."""

    name: str
    """Short name for `/v1/capabilities` ("builtin", "privacyidea")."""
    capabilities: Mapping[Capability, str | None]
    """Every capability: None when offered, else the reason it is not (said to agents)."""

    # -- users and factors (FIND_USERS, READ_FACTORS)

    async def find_users(self, conn: AsyncConnection, query: str, limit: int) -> list[FoundUser]:
        """By name, e-mail, company or id; digits also match the end of a phone on file."""
        ...

    async def users(self, conn: AsyncConnection, ids: Collection[str]) -> dict[str, UserRecord]:
        """The users with these ids (missing ones are left out)."""
        ...

    async def factors(self, conn: AsyncConnection, user_id: str) -> list[FactorRecord]:
        """The user's active factors, oldest first."""
        ...

    async def user_with_factors(
        self, conn: AsyncConnection, user_id: str
    ) -> tuple[UserRecord, list[FactorRecord]] | None:
        """`users` and `factors` of one user at once (None: no such user). A profile and
        every action read both; a provider may read them together, or side by side."""
        ...

    async def factors_by_id(
        self, conn: AsyncConnection, ids: Collection[str]
    ) -> dict[str, FactorRecord]:
        """Factors by id, removed ones included (to name what a request was about)."""
        ...

    # -- sign-ins (SIGN_IN_HISTORY)

    async def sign_ins(
        self,
        conn: AsyncConnection,
        user_id: str,
        *,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[SignIn]:
        """The user's sign-ins, newest first."""
        ...

    async def sign_ins_of(
        self, conn: AsyncConnection, user_ids: Collection[str], *, until: datetime
    ) -> list[tuple[str, SignIn]]:
        """Every sign-in of these users before `until`, with whose it is."""
        ...

    # -- texts (SEND_SMS; the delivery log: SMS_RECEIPTS)

    async def queue_sms(
        self,
        conn: AsyncConnection,
        user: UserRecord,
        factor: FactorRecord,
        purpose: SmsPurpose,
        now: datetime,
    ) -> QueuedSms:
        """Make a code and its text (a sign-in code replaces the live one)."""
        ...

    async def send_sms(self, queued: QueuedSms, now: datetime) -> SmsState:
        """Hand the text to the carrier; a refusal is a failed state, never an exception."""
        ...

    async def settle_sms(
        self, conn: AsyncConnection, queued: QueuedSms, state: SmsState, now: datetime
    ) -> SmsDeliveryRecord | None:
        """Record the carrier's answer (a failed sign-in code dies); the delivery, if logged."""
        ...

    async def check_sms_code(
        self, conn: AsyncConnection, factor_id: str, code: str, handle: str, now: datetime
    ) -> bool:
        """Whether `code` is the challenge code that `handle` stands for."""
        ...

    async def sms_deliveries(
        self, user_id: str, limit: int, now: datetime
    ) -> list[SmsDeliveryRecord]:
        """The user's texts, newest first, each in the state the carrier reports now."""
        ...

    # -- authenticator apps (CHECK_TOTP, MEASURE_DRIFT, RESYNC_TOTP, UNLOCK_FACTOR)

    async def check_totp(
        self, conn: AsyncConnection, factor: FactorRecord, code: str, now: datetime
    ) -> CodeVerdict:
        """Check a code the user read from the app; an accepted one is spent."""
        ...

    async def measure_drift(
        self,
        conn: AsyncConnection,
        factor: FactorRecord,
        codes: Sequence[str],
        now: datetime,
        window_steps: int,
    ) -> DriftResult:
        """How far the phone's clock is off, from codes read in order (rules.drift)."""
        ...

    async def resync_totp(
        self, conn: AsyncConnection, factor: FactorRecord, first: str, second: str, now: datetime
    ) -> bool:
        """Let the provider learn the phone's offset from two consecutive codes."""
        ...

    async def unlock_factor(self, conn: AsyncConnection, factor: FactorRecord) -> None:
        """Reset the factor's fail counter, so right codes work again."""
        ...

    # -- changes (REMOVE_FACTOR, RESET_MFA, RETIRE_TOTP, REQUIRE_ENROLMENT, ACCESS_CODE)

    async def remove_factor(
        self, conn: AsyncConnection, user: UserRecord, factor: FactorRecord, now: datetime
    ) -> None: ...

    async def reset_mfa(self, conn: AsyncConnection, user: UserRecord, now: datetime) -> int:
        """Remove every factor and require setup; the number of sessions signed out."""
        ...

    async def retire_totp(
        self, conn: AsyncConnection, user: UserRecord, factor: FactorRecord, now: datetime
    ) -> Retired:
        """Re-enrol: the app's codes fail at once, a new QR code comes at next sign-in."""
        ...

    async def require_enrolment(
        self, conn: AsyncConnection, user: UserRecord, method: str, now: datetime
    ) -> None:
        """The user sets `method` up at the next sign-in; what they have stays."""
        ...

    async def issue_access_code(
        self, conn: AsyncConnection, user: UserRecord, issued_by: str, now: datetime
    ) -> IssuedCode:
        """A one-sign-in code to set up a new method; it replaces a live one."""
        ...

    # -- the user's own sign-in (ENDUSER_SIGNIN)

    async def check_password(
        self, conn: AsyncConnection, email: str, password: str
    ) -> UserRecord | None:
        """The user whose e-mail and password these are, or None (same cost either way)."""
        ...

    async def check_signin_code(
        self, conn: AsyncConnection, user: UserRecord, method: str, code: str, now: datetime
    ) -> SignInStep | None:
        """Where a good code leaves the sign-in (and it is spent); None for a bad one."""
        ...

    async def open_user_session(
        self, conn: AsyncConnection, user: UserRecord, now: datetime
    ) -> str:
        """A session token for the user, who is now signed in."""
        ...

    # -- the provider's own log (PROVIDER_AUDIT)

    async def provider_events(
        self, conn: AsyncConnection, user_id: str, limit: int
    ) -> list[ProviderEvent]: ...


def require(provider: IdentityProvider, capability: Capability) -> None:
    """Refuse (409 not_supported, with the provider's reason) what the provider cannot do."""
    reason = provider.capabilities.get(capability, "it is not declared")
    if reason is not None:
        raise NotSupported(f"Not available on this back end ({provider.name}): {reason}.")
