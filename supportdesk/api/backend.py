"""What the desk's screens may ask of a back end: the seam between the TUI and the service.

`SupportDeskClient` implements it over HTTP (or in-process ASGI in embedded mode); a
test or a future back end can stand in for it without the screens knowing. Screens
see only this Protocol, never the client's token, transport or URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Literal, Protocol

from supportdesk.api.audit import (
    AuditCounts,
    AuditFilter,
    AuditReceipt,
    ExportFormat,
    ProviderAudit,
    ReceiptCheck,
    ReviewQueue,
    VerifyStep,
)
from supportdesk.api.models import (
    AgentSession,
    AuditEntry,
    AuditPage,
    Capabilities,
    Health,
    SignInEvent,
    Ticket,
    UserProfile,
    UserSummary,
)
from supportdesk.api.recovery import (
    Approval,
    ApprovalFilter,
    ApprovalOutcome,
    ApprovalSummary,
    ChallengeAnswered,
    ChallengeChannel,
    ChallengeSent,
    RecoveryResult,
)
from supportdesk.api.risk import RiskReport
from supportdesk.api.sms import NumberCheck, SmsDelivery, SmsOverview, SmsResent
from supportdesk.api.token_fixes import TokenUnlocked, TotpResynced
from supportdesk.api.totp import TotpDiagnosis, TotpReenrolment
from supportdesk.rules.policy import Action, Check

SignOutReason = Literal["sign_out", "lock"]
"""Why the agent's session ends: the audit entry says which."""


class DeskBackend(Protocol):
    """Every call a desk screen makes; each raises an `ApiError` subclass when refused."""

    @property
    def label(self) -> str:
        """Where the back end is, as the header names it ("demo · SQLite", a URL)."""
        ...

    @property
    def signed_in(self) -> bool:
        """Whether a session token is held (the service decides whether it still works)."""
        ...

    async def aclose(self) -> None: ...

    # -- meta and sessions -----------------------------------------------------------

    async def health(self) -> Health: ...

    async def ready(self) -> Health:
        """Health plus the service's database (StoreUnavailable while it does not answer)."""
        ...

    async def capabilities(self) -> Capabilities: ...

    async def sign_in(self, username: str, password: str, code: str) -> AgentSession: ...

    async def sign_out(self, reason: SignOutReason = "sign_out") -> None:
        """End the session on the server; the token is dropped here even when that fails."""
        ...

    def forget_session(self) -> None:
        """Drop the token without a request (the service already ended the session)."""
        ...

    # -- users and tickets -----------------------------------------------------------

    async def search_users(self, query: str, limit: int = 50) -> list[UserSummary]: ...

    async def get_user(self, user_id: str) -> UserProfile: ...

    async def user_signins(self, user_id: str, limit: int = 50) -> list[SignInEvent]: ...

    async def list_tickets(
        self, status: str = "open", user_id: str | None = None
    ) -> list[Ticket]: ...

    async def resolve_ticket(
        self,
        ticket_id: str,
        outcome: str,
        note: str,
        *,
        reply: str | None = None,
        reply_key: str | None = None,
    ) -> Ticket: ...

    async def get_ticket(self, ticket_id: str) -> Ticket: ...

    async def add_reply(
        self, ticket_id: str, body: str, *, idempotency_key: str | None = None
    ) -> Ticket: ...

    async def correct_branch(self, ticket_id: str, branch: str) -> Ticket: ...

    # -- branch 1: SMS -----------------------------------------------------------------

    async def sms_overview(self, user_id: str) -> SmsOverview: ...

    async def compare_sms_number(
        self,
        user_id: str,
        number: str,
        *,
        region: str | None = None,
        factor_id: str | None = None,
        ticket_id: str | None = None,
    ) -> NumberCheck: ...

    async def resend_sms_code(
        self,
        user_id: str,
        *,
        factor_id: str | None = None,
        ticket_id: str | None = None,
        reason: str | None = None,
    ) -> SmsResent: ...

    async def sms_deliveries(self, user_id: str, limit: int = 20) -> list[SmsDelivery]: ...

    async def switch_to_authenticator(
        self, user_id: str, reason: str, *, ticket_id: str | None = None
    ) -> UserProfile: ...

    # -- branch 2: authenticator -----------------------------------------------------

    async def diagnose_totp(
        self,
        user_id: str,
        ticket_id: str,
        *,
        codes: Sequence[str] = (),
        phone_time: str | None = None,
        factor_id: str | None = None,
    ) -> TotpDiagnosis: ...

    async def resync_totp(
        self,
        user_id: str,
        ticket_id: str,
        *,
        reason: str,
        first_code: str,
        second_code: str,
        factor_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> TotpResynced: ...

    async def unlock_token(
        self,
        user_id: str,
        ticket_id: str,
        *,
        reason: str,
        factor_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> TokenUnlocked: ...

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
    ) -> TotpReenrolment | RecoveryResult: ...

    # -- branch 3: lost phone or key, approvals ---------------------------------------

    async def send_challenge(
        self,
        user_id: str,
        *,
        ticket_id: str,
        channel: ChallengeChannel,
        factor_id: str | None = None,
    ) -> ChallengeSent: ...

    async def answer_challenge(self, challenge_id: str, code: str) -> ChallengeAnswered: ...

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
    ) -> RecoveryResult: ...

    async def list_approvals(
        self, status: ApprovalFilter = "pending", *, user_id: str | None = None, limit: int = 100
    ) -> list[Approval]: ...

    async def approval_summary(self) -> ApprovalSummary: ...

    async def approve(
        self, approval_id: int, note: str = "", *, idempotency_key: str | None = None
    ) -> ApprovalOutcome: ...

    async def deny(
        self, approval_id: int, note: str, *, idempotency_key: str | None = None
    ) -> ApprovalOutcome: ...

    # -- branch 4: why was I prompted -------------------------------------------------

    async def why_prompted(self, user_id: str, limit: int = 30) -> RiskReport: ...

    # -- the audit log (leads) ---------------------------------------------------------

    async def audit_find(
        self,
        filters: AuditFilter,
        *,
        before: int | None = None,
        after: int | None = None,
        seqs: Iterable[int] | None = None,
        limit: int = 100,
    ) -> AuditPage: ...

    def audit_export(
        self,
        filters: AuditFilter,
        *,
        chunk_rows: int = 5000,
        saved_as: ExportFormat | None = None,
    ) -> AsyncIterator[tuple[AuditEntry, float]]: ...

    def audit_export_text(
        self,
        filters: AuditFilter,
        fmt: ExportFormat,
        *,
        chunk_rows: int = 20_000,
        header: bool = True,
    ) -> AsyncIterator[tuple[str, int, float]]: ...

    def audit_verify(self, *, max_entries: int = 50_000) -> AsyncIterator[VerifyStep]: ...

    async def audit_receipt(self) -> AuditReceipt: ...

    async def audit_check_receipt(self, receipt: AuditReceipt) -> ReceiptCheck: ...

    async def audit_counts(self, filters: AuditFilter, zone: str) -> AuditCounts: ...

    async def audit_provider(self, user_id: str, *, limit: int = 50) -> ProviderAudit: ...

    async def audit_review(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        zone: str = "UTC",
        cursor: str | None = None,
        limit: int = 50,
    ) -> ReviewQueue: ...
