"""The store's schema: one definition for SQLite and PostgreSQL (SQLAlchemy Core)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

SCHEMA_VERSION = 4
"""2: the audit entry's stored text, receipts' summaries, tickets' triage, replies and
intake, provider users, 64-bit ids (this round's issues 11 to 15). 3: whether an audit
row's columns spell its stored text, a column the database generates (issue 13). 4: whether
its names, codes and hex need CSV quoting, generated likewise (issue 13)."""


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the backend keeps.

    SQLite drops the zone; PostgreSQL keeps it. Callers always see UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """Read a time without a zone as UTC (query parameters typed by hand)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- 64-bit ids (issue 11) ------------------------------------------------------------------
Id64 = BigInteger().with_variant(Integer(), "sqlite")
"""An id the API may be handed: 64-bit on PostgreSQL (a 32-bit one would fail on any
number past 2**31 with a 500); on SQLite INTEGER is already 64-bit, and only an INTEGER
PRIMARY KEY is the rowid that autoincrements."""
# ------------------------------------------------------------------------------------------

metadata: MetaData = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

agents = Table(
    "agents",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("role", String(16), nullable=False),  # agent | lead
    Column("password_hash", Text, nullable=False),
    Column("totp_secret", String(64), nullable=False),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("last_totp_step", BigInteger, nullable=True),  # refuses a replayed code
    Column("created_at", UTCDateTime, nullable=False),
)

agent_sessions = Table(
    "agent_sessions",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("agent_id", Id64, ForeignKey("agents.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("email", String(256), nullable=False, unique=True),
    Column("company", String(128), nullable=False),
    Column("region", String(2), nullable=False),  # ISO 3166 alpha-2 of the user's office
    Column("timezone", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # individual | service
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("is_staff", Boolean, nullable=False, default=False),
    Column("mfa_status", String(16), nullable=False),  # active | setup_required
    # A method the user must enrol at next sign-in ("totp" after a switch or re-enrolment).
    Column("enrol_required", String(16), nullable=True),
    Column("password_hash", Text, nullable=False),
    Column("last_mfa_reset_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_users_company", users.c.company)

factors = Table(
    "factors",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("type", String(16), nullable=False),  # totp | sms | security_key
    Column("label", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("totp_secret", String(64), nullable=True),
    Column("last_totp_step", BigInteger, nullable=True),
    Column("phone_e164", String(20), nullable=True),
    Column("key_model", String(64), nullable=True),
    Column("removed_at", UTCDateTime, nullable=True),
)
Index("ix_factors_user", factors.c.user_id)
Index("ix_factors_phone", factors.c.phone_e164)

sms_codes = Table(
    "sms_codes",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("factor_id", String(24), ForeignKey("factors.id"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("dead_at", UTCDateTime, nullable=True),  # used or superseded
)
Index("ix_sms_codes_factor", sms_codes.c.factor_id)

sms_deliveries = Table(
    "sms_deliveries",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("factor_id", String(24), ForeignKey("factors.id"), nullable=False),
    Column("phone_masked", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # queued|sent|delivered|failed|undelivered
    Column("reason", Text, nullable=True),
    Column("reason_code", String(32), nullable=True),
    Column("provider_ref", String(64), nullable=True),
)
Index("ix_sms_deliveries_user", sms_deliveries.c.user_id, sms_deliveries.c.created_at)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=True),  # None: unknown
    Column("channel", String(16), nullable=False),  # messenger | email
    Column("subject", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # open | resolved
    Column("outcome", String(32), nullable=True),
    Column("note", Text, nullable=True),
    Column("resolved_by", String(64), nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
)
Index("ix_tickets_status", tickets.c.status, tickets.c.created_at)

signin_events = Table(
    "signin_events",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("device_name", String(128), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("city", String(128), nullable=False),
    Column("country", String(2), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("ip_reputation", String(16), nullable=False),  # good|unknown|proxy|tor|bad
    Column("mfa_prompted", Boolean, nullable=False),
    Column("mfa_passed", Boolean, nullable=True),
)
Index("ix_signin_events_user", signin_events.c.user_id, signin_events.c.at)

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

signin_challenges = Table(
    "signin_challenges",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),  # signed in, or spent by wrong codes
    Column("failed_codes", Integer, nullable=False, default=0),
)

access_codes = Table(
    "access_codes",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

recovery_challenges = Table(
    "recovery_challenges",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("agent", String(64), nullable=False),
    Column("ticket_id", String(16), nullable=False),
    Column("channel", String(8), nullable=False),  # totp | sms | email
    Column("factor_id", String(24), nullable=True),
    Column("destination", String(160), nullable=False),  # as the desk may show it
    Column("code_hash", String(64), nullable=True),  # keyed hash; none for totp
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("verified_at", UTCDateTime, nullable=True),
    Column("dead_at", UTCDateTime, nullable=True),
)
"""Identity challenges an agent sent while a user recovers a lost phone or key."""
Index("ix_recovery_challenges_user", recovery_challenges.c.user_id, recovery_challenges.c.agent)

message_outbox = Table(
    "message_outbox",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("channel", String(8), nullable=False),  # email | sms
    Column("recipient", String(256), nullable=False),  # the e-mail address, or E.164
    Column("subject", String(200), nullable=False),  # empty for a text
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
"""What the simulated gateways delivered: the demo user's own phone and mailbox.

Bodies (codes) are kept in plain text because this stands for the user's devices: only
`supportdesk demo phone` reads it, never the API. A real SMS provider keeps nothing here.
"""
Index("ix_message_outbox_user", message_outbox.c.user_id, message_outbox.c.created_at)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("action", String(32), nullable=False),
    Column("target_user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("ticket_id", String(16), nullable=True),
    Column("reason", Text, nullable=False),
    Column("verification", Text, nullable=False),  # canonical JSON list of checks
    Column("params", Text, nullable=False),  # canonical JSON object
    Column("status", String(16), nullable=False),  # pending|approved|denied|expired
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decision_note", Text, nullable=True),
)
Index("ix_approvals_status", approvals.c.status, approvals.c.created_at)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("agent", String(64), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

rate_hits = Table(
    "rate_hits",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("bucket", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
Index("ix_rate_hits_bucket", rate_hits.c.bucket, rate_hits.c.at)

demo_phones = Table(
    "demo_phones",
    metadata,
    Column("account", String(64), primary_key=True),  # agent username or user id
    Column("clock_offset_s", Integer, nullable=False),
)
"""Demo world only: how far each demo phone's clock is off."""

# -- issue 12: users of a provider in front of another server (privacyIDEA) -----------------
provider_users = Table(
    "provider_users",
    metadata,
    # Our id for the directory's user: the tickets, approvals and audit name it.
    Column("user_id", String(16), ForeignKey("users.id"), primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("realm", String(255), nullable=False),
    Column("username", String(255), nullable=False),
    UniqueConstraint("provider", "realm", "username", name="uq_provider_users_name"),
)
"""Which directory user each of our ids stands for; their `users` row is a stand-in that
keeps our tables' references whole (and when the desk last reset their MFA)."""

# The rest of the tables live beside this module (each file stays short) and are imported
# here so that `metadata` has them all and `schema.audit_log` etc. keep working.
import supportdesk.service.store.schema_intake  # noqa: E402, F401
from supportdesk.service.store.schema_audit import (  # noqa: E402
    audit_head as audit_head,
)
from supportdesk.service.store.schema_audit import (  # noqa: E402
    audit_hourly as audit_hourly,
)
from supportdesk.service.store.schema_audit import audit_log as audit_log  # noqa: E402
from supportdesk.service.store.schema_tickets import (  # noqa: E402
    ticket_branch_corrections as ticket_branch_corrections,
)
from supportdesk.service.store.schema_tickets import (  # noqa: E402
    ticket_replies as ticket_replies,
)
from supportdesk.service.store.schema_tickets import (  # noqa: E402
    ticket_triage as ticket_triage,
)
