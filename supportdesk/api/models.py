"""Wire models: what crosses the API, in both directions. No secrets, ever."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from supportdesk.rules.tree import TICKET_OUTCOMES

Role = Literal["agent", "lead"]
FactorType = Literal["totp", "sms", "security_key"]
MfaStatus = Literal["active", "setup_required"]
AccountKind = Literal["individual", "service"]
Channel = Literal["messenger", "email"]
TicketStatus = Literal["open", "resolved"]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ErrorDetail(Wire):
    code: str
    message: str
    field: str | None = None


class ErrorBody(Wire):
    error: ErrorDetail


class Health(Wire):
    status: Literal["ok"]
    version: str


class FeatureGap(Wire):
    """A feature this back end does not offer, and why (shown where the feature would be)."""

    feature: str
    reason: str


class Capabilities(Wire):
    """What a back end can do: screens offer only what is listed here.

    Feature names come from `supportdesk.api.features`.
    """

    backend: str
    version: str
    demo_mode: bool
    features: list[str]
    provider: str = "builtin"
    unavailable: list[FeatureGap] = Field(default_factory=list)

    def offers(self, feature: str) -> bool:
        return feature in self.features

    def why_not(self, feature: str) -> str | None:
        """The reason a feature is missing, or None when it is offered."""
        if self.offers(feature):
            return None
        for gap in self.unavailable:
            if gap.feature == feature:
                return gap.reason
        return "this back end does not offer it"


class AgentSignIn(Wire):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    code: str = Field(min_length=1, max_length=16)


class Agent(Wire):
    username: str
    display_name: str
    role: Role


class AgentSession(Wire):
    token: str
    agent: Agent
    expires_at: datetime
    idle_timeout_s: int


class UserSummary(Wire):
    id: str
    name: str
    email: str
    company: str
    region: str
    kind: AccountKind
    is_admin: bool
    mfa_status: MfaStatus
    factor_types: list[FactorType]


class Factor(Wire):
    id: str
    type: FactorType
    label: str
    created_at: datetime
    last_used_at: datetime | None
    phone_masked: str | None = None
    key_model: str | None = None
    locked: bool = False
    """Refuses even right codes until its fail counter is reset (privacyIDEA's maxfail)."""
    fail_count: int | None = None
    max_fail: int | None = None


class UserProfile(UserSummary):
    timezone: str
    is_staff: bool
    enrol_required: FactorType | None = None
    created_at: datetime
    last_mfa_reset_at: datetime | None
    factors: list[Factor]


class SignInEvent(Wire):
    at: datetime
    device_id: str
    device_name: str
    ip: str
    city: str
    country: str
    lat: float
    lon: float
    ip_reputation: str
    mfa_prompted: bool
    mfa_passed: bool | None


REPLY_MAX = 10_000
"""Longest reply the service stores: a long e-mail, not a document."""

DeliveryState = str
"""Where a reply stands: "recorded" (a demo or seeded ticket: nowhere to send it),
"queued", "sent" or "failed" (with `delivery_detail` saying why)."""


class BranchGuess(Wire):
    branch: str
    """A branch code of the tree (rules.tree.Branch), e.g. "sms_not_received"."""
    confidence: float


class TicketTriage(Wire):
    """Which branch the ticket belongs to, as the classifier reads it.

    `branch` is a branch code, or "unsure" when the best guess is below the threshold;
    `top` holds the two best guesses either way, best first.
    """

    branch: str
    confidence: float
    unsure: bool
    top: list[BranchGuess]
    source: str
    """"model", "keywords" (the fallback) or "empty" (a ticket with no words)."""


class BranchCorrection(Wire):
    branch: str
    guessed: str
    """What the desk showed when the agent corrected it: a branch code or "unsure"."""
    by: str
    at: datetime


class TicketReply(Wire):
    id: int
    ticket_id: str
    author: str
    body: str
    created_at: datetime
    delivery_state: DeliveryState
    delivery_detail: str | None = None


class Ticket(Wire):
    id: str
    user_id: str | None
    """None: the sender matched no user ("unknown user"); ``sender`` says who wrote."""
    user_name: str
    company: str
    channel: Channel
    subject: str
    text: str
    created_at: datetime
    status: TicketStatus
    outcome: str | None
    note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    awaiting_lead: bool = False
    triage: TicketTriage | None = None
    """The classifier's guess at the branch; None when the service has no classifier."""
    correction: BranchCorrection | None = None
    """The agent's choice of branch, when it differs from the guess (the latest counts)."""
    replies: list[TicketReply] = Field(default_factory=list)
    """What agents wrote to the user, oldest first, with where each reply stands."""
    # Tickets that arrived by mail or messenger (issue 15).
    sender: str | None = None
    """The e-mail address (or messenger id) the ticket came from."""
    messages: int = 0
    """Messages in the ticket's conversation (in and out); 0 for a seeded ticket."""

    @property
    def unknown_user(self) -> bool:
        return self.user_id is None


class TicketMessage(Wire):
    """One message of a ticket's conversation: the user's (in) or the desk's (out)."""

    id: int
    direction: Literal["in", "out"]
    body: str
    original: str
    at: datetime


class IntakeReceipt(Wire):
    """The intake's answer to the messenger: what became of the delivery."""

    outcome: Literal["created", "appended", "duplicate", "refused", "ignored"]
    ticket_id: str | None
    message: str


class ResolveTicket(Wire):
    outcome: str = Field(
        min_length=1,
        max_length=32,
        description="one of the help tree's outcomes",
        json_schema_extra={"enum": list(TICKET_OUTCOMES)},
    )
    note: str = Field(min_length=1, max_length=2000)
    reply: str | None = Field(default=None, max_length=REPLY_MAX)
    """A reply to the user sent with the resolution (checked first: no codes, seeds or
    full numbers); blank means none."""
    reply_key: str | None = Field(default=None, min_length=8, max_length=128)
    """The reply's idempotency key (the desk makes one per reply); the service makes one
    when it is missing."""


class AddReply(Wire):
    body: str = Field(min_length=1, max_length=REPLY_MAX)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128)
    """The same key twice stores (and later sends) the reply once."""


class CorrectBranch(Wire):
    branch: str = Field(min_length=1, max_length=32)


class BranchCorrectionRecord(Wire):
    """One correction with the ticket's words: a labelled example for the next model."""

    ticket_id: str
    subject: str
    text: str
    guessed: str
    branch: str
    by: str
    at: datetime


class AuditEntry(Wire):
    seq: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    target_user: str | None
    ticket_id: str | None
    reason: str | None
    verification: str | None
    outcome: str
    detail: str | None
    request_id: str | None
    prev_hash: str
    hash: str


class AuditPage(Wire):
    entries: list[AuditEntry]
    next_cursor: int | None


class EndUserSignIn(Wire):
    email: str = Field(min_length=3, max_length=256)
    password: str = Field(min_length=1, max_length=256)


class EndUserSignInResult(Wire):
    """Where an end user's sign-in stands after the password step."""

    status: Literal["mfa_required", "setup_required"]
    challenge_id: str
    methods: list[FactorType]
    enrol_required: FactorType | None = None


EndUserMethod = Literal["totp", "sms", "access_code"]


class EndUserMfa(Wire):
    challenge_id: str = Field(min_length=1, max_length=64)
    method: EndUserMethod
    code: str = Field(min_length=1, max_length=32)


class EndUserMfaResult(Wire):
    """Signed in, or signed in only to enrol a new method (after an access code)."""

    status: Literal["signed_in", "enrol_only"]
    session_token: str
