"""How to reach a privacyIDEA server: defaults < environment (SUPPORTDESK_PI_*).

The service admin's password comes from the environment or from a file (a mounted
secret); it is held as a SecretStr, so it never shows in a repr, a log or a dump.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _names(value: object) -> object:
    """Accept "a, b" from the environment as well as a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class PrivacyIdeaSettings(BaseSettings):
    """The privacyIDEA server, its realms and the desk's service admin account."""

    model_config = SettingsConfigDict(env_prefix="SUPPORTDESK_PI_", extra="ignore")

    url: str = Field(default="", description="Base URL, e.g. https://pi.example.com")
    user_realms: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Realms of end users; the first is the default."
    )
    staff_realm: str | None = Field(
        default=None, description="Realm whose users may sign in to the desk as agents."
    )
    staff_leads: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Staff usernames who sign in as team leads."
    )
    sensitive_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="End users the desk treats as company admins (a reset needs a lead).",
    )
    service_accounts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="End users that are integrations, not people."
    )
    admin_username: str = ""
    admin_password: SecretStr | None = None
    admin_password_file: Path | None = None
    verify_tls: bool = True
    ca_file: Path | None = Field(default=None, description="CA bundle to verify the server by.")
    timeout_s: float = Field(default=10.0, gt=0)

    _split_realms = field_validator(
        "user_realms", "staff_leads", "sensitive_users", "service_accounts", mode="before"
    )(_names)

    @field_validator("url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _one_password_source(self) -> PrivacyIdeaSettings:
        if self.admin_password is not None and self.admin_password_file is not None:
            raise ValueError("set admin_password or admin_password_file, not both")
        return self

    @property
    def default_realm(self) -> str | None:
        return self.user_realms[0] if self.user_realms else None

    def admin_secret(self) -> SecretStr:
        """The service admin's password, read from the file each time it is needed."""
        if self.admin_password_file is not None:
            text = self.admin_password_file.read_text(encoding="utf-8")
            return SecretStr(text.rstrip("\r\n"))
        if self.admin_password is None:
            raise ValueError("no admin password: set SUPPORTDESK_PI_ADMIN_PASSWORD(_FILE)")
        return self.admin_password

    def tls_verify(self) -> bool | ssl.SSLContext:
        """What httpx should verify the server with: on by default, a CA bundle if given."""
        if not self.verify_tls:
            return False
        if self.ca_file is not None:
            return ssl.create_default_context(cafile=str(self.ca_file))
        return True
