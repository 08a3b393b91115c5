"""The auth service's settings: defaults < environment (SUPPORTDESK_SERVICE_*)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Limits and lifetimes the service enforces; all in seconds unless named."""

    model_config = SettingsConfigDict(env_prefix="SUPPORTDESK_SERVICE_", extra="forbid")

    db_url: str = "sqlite+aiosqlite:///supportdesk.sqlite3"
    demo_mode: bool = False
    token_absolute_s: int = 8 * 3600
    token_idle_s: int = 30 * 60
    lockout_attempts: int = 5
    lockout_s: int = 15 * 60
    signin_challenge_s: int = 5 * 60
    access_code_s: int = 3600
    sms_code_s: int = 5 * 60
    sms_min_interval_s: int = 30
    sms_per_hour: int = 5
    diagnose_per_10min: int = 10
    approval_ttl_s: int = 24 * 3600
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19 * 1024
