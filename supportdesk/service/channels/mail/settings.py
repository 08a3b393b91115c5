"""The support mailbox's settings: defaults < environment (SUPPORTDESK_MAIL_*).

The mail channel is off until an IMAP host is set. Passwords come from the environment or,
better, from a file (``*_password_file``, e.g. a container secret); they are never
returned or logged.
"""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from supportdesk.service.channels.tls import Security, is_loopback

IMAP_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
SMTP_PORTS = {"tls": 465, "starttls": 587, "plain": 25}


class MailSettings(BaseSettings):
    """Where the support mailbox lives and how replies leave."""

    model_config = SettingsConfigDict(env_prefix="SUPPORTDESK_MAIL_", extra="forbid")

    support_address: str = "support@example.invalid"
    support_name: str = "Support"

    imap_host: str | None = None
    imap_port: int | None = None
    imap_security: Security = "tls"
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_password_file: Path | None = None
    imap_folder: str = "INBOX"

    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: Security = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_password_file: Path | None = None

    ca_file: Path | None = None
    """A private CA to trust instead of the system's (a self-hosted mail server)."""
    allow_plain: bool = False
    """Allow ``plain`` to a server that is not on this machine (a trusted network only)."""

    poll_interval_s: float = Field(default=60.0, gt=0)
    """How often to look for new mail when the server has no IDLE."""
    idle: bool = True
    idle_refresh_s: float = Field(default=300.0, ge=1, le=29 * 60)
    """IDLE is renewed this often (RFC 2177: servers may drop it after 30 minutes)."""
    timeout_s: float = Field(default=30.0, gt=0)
    backoff_initial_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    max_message_bytes: int = Field(default=15_000_000, gt=0)
    """Larger messages are refused unread (screenshots fit; archives do not)."""
    max_text_chars: int = Field(default=20_000, gt=0)
    """The ticket text and the kept original are cut at this length."""
    taken_keyword: str = "$SupportdeskTaken"
    """The IMAP keyword set on each message once it is taken, beside \\Seen."""

    @field_validator("support_address")
    @classmethod
    def _an_address(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "@" not in address or address != value.strip():
            raise ValueError("support_address must be a plain e-mail address")
        return address

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for side in ("imap", "smtp"):
            if getattr(self, f"{side}_password") and getattr(self, f"{side}_password_file"):
                raise ValueError(f"set {side}_password or {side}_password_file, not both")
            host = getattr(self, f"{side}_host")
            security = getattr(self, f"{side}_security")
            if host and security == "plain" and not (is_loopback(host) or self.allow_plain):
                raise ValueError(
                    f"{side}_security is 'plain' for {host}, which is not this machine: "
                    "use tls or starttls, or set allow_plain for a trusted network"
                )
        return self

    @property
    def support_domain(self) -> str:
        return self.support_address.rsplit("@", 1)[1].lower()

    @property
    def imap_enabled(self) -> bool:
        return bool(self.imap_host)

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    def imap_port_value(self) -> int:
        return self.imap_port or IMAP_PORTS[self.imap_security]

    def smtp_port_value(self) -> int:
        return self.smtp_port or SMTP_PORTS[self.smtp_security]

    def imap_secret(self) -> str | None:
        """The IMAP password, read from its file when one is named."""
        return _secret(self.imap_password, self.imap_password_file)

    def smtp_secret(self) -> str | None:
        return _secret(self.smtp_password, self.smtp_password_file)


def _secret(value: SecretStr | None, path: Path | None) -> str | None:
    if path is not None:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    return value.get_secret_value() if value is not None else None
