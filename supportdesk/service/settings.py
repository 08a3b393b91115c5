"""The auth service's settings: defaults < environment (SUPPORTDESK_SERVICE_*)."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Limits and lifetimes the service enforces; all in seconds unless named."""

    model_config = SettingsConfigDict(env_prefix="SUPPORTDESK_SERVICE_", extra="forbid")

    db_url: str = "sqlite+aiosqlite:///supportdesk.sqlite3"
    # Where users and their factors live: our own tables, or a privacyIDEA server
    # (its URL, realms and service admin: SUPPORTDESK_PI_*, see provider/privacyidea).
    provider: Literal["builtin", "privacyidea"] = "builtin"
    demo_mode: bool = False
    token_absolute_s: int = 8 * 3600
    token_idle_s: int = 30 * 60
    # A session's last_seen_at is written at most this often, not on every request.
    session_touch_s: int = 60
    lockout_attempts: int = 5
    lockout_s: int = 15 * 60
    signin_challenge_s: int = 5 * 60
    access_code_s: int = 3600
    sms_code_s: int = 5 * 60
    sms_min_interval_s: int = 30
    sms_per_hour: int = 5
    sms_compare_per_10min: int = 10
    # Where texts go: the simulated carrier (embedded desk, demo) or a provider's HTTP API.
    # See service/sms/http.py; credentials are read from the environment, never returned.
    sms_gateway: Literal["simulated", "http"] = "simulated"
    sms_sender: str = "Alvys"
    sms_http_url: str | None = None
    sms_http_status_url: str | None = None  # "{ref}" is replaced by the provider's id
    sms_http_body: Literal["json", "form"] = "json"
    sms_http_username: str | None = None
    sms_http_password: SecretStr | None = None
    sms_http_token: SecretStr | None = None
    sms_http_to_field: str = "to"
    sms_http_from_field: str = "from"
    sms_http_text_field: str = "text"
    sms_http_ref_field: str = "id"
    sms_http_status_field: str = "status"
    sms_http_timeout_s: float = 5.0
    diagnose_per_10min: int = 10
    approval_ttl_s: int = 24 * 3600
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19 * 1024
    # -- guessing and flooding (issue 11; docs/security.md says why) ---------------------
    # Staff: five failures from one source lock that account *from that source*; the
    # account as a whole backs off only after many more, from anywhere, and even then
    # not for addresses it signed in from successfully in the last `known_source_days`.
    account_lockout_attempts: int = 20
    known_source_days: int = 30
    # Any sign-in from one source address: failures per minute before it is throttled.
    source_failures_per_min: int = 10
    # End users: wrong passwords, and wrong codes across all challenges, per user.
    enduser_password_failures: int = 10
    enduser_code_failures: int = 10
    enduser_lockout_s: int = 15 * 60
    # End users' sign-ins from one source address: wrong passwords per minute, any e-mail
    # address, before the address is throttled (counted apart from staff's; more than
    # staff's, as many customers may share a carrier's address).
    enduser_source_failures_per_min: int = 20
    # Proxies whose X-Forwarded-For is believed (addresses or networks, e.g. 10.0.0.0/8).
    trusted_proxies: list[str] = []
    # Requests with a larger body are refused (413) before anything reads it.
    max_body_bytes: int = 1024 * 1024
    # Tickets that arrive by themselves (issue 15): how many one sender may open or add to.
    intake_per_sender_10min: int = 10
    intake_per_sender_day: int = 60
    intake_triage: bool = True
    """Triage each new ticket on arrival (the classifier runs in a thread)."""
    # The Ed25519 key that signs audit receipts: a file outside the store, never served.
    # Default: beside a SQLite store; PostgreSQL deployments name one (issue 11).
    audit_key_file: str | None = None
