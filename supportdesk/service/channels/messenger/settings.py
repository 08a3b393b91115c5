"""The messenger's settings: defaults < environment (SUPPORTDESK_MESSENGER_*).

The webhook secret (and the previous one while rotating) and the API token are read from
the environment or from files; they are never returned or logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from supportdesk.service.channels.messenger.models import (
    IgnoredEvent,
    InboundMessage,
    MessengerFormat,
)

if TYPE_CHECKING:
    from supportdesk.service.channels.messenger.client import MessengerClient


class MessengerSettings(BaseSettings):
    """Which messenger calls the webhook, how it signs, and where replies are posted."""

    model_config = SettingsConfigDict(env_prefix="SUPPORTDESK_MESSENGER_", extra="forbid")

    format: MessengerFormat = "supportdesk"
    webhook_secret: SecretStr | None = None
    webhook_secret_file: Path | None = None
    webhook_secret_previous: SecretStr | None = None
    """Still accepted while the messenger moves to the new secret."""
    tolerance_s: int = Field(default=300, ge=30, le=3600)
    max_body_bytes: int = Field(default=256_000, gt=0)
    max_text_chars: int = Field(default=20_000, gt=0)
    api_url: str | None = None
    """The messenger's API base (Chatwoot: https://chat.example.com)."""
    api_token: SecretStr | None = None
    api_token_file: Path | None = None
    chatwoot_account_id: str | None = None
    """Used when a Chatwoot payload does not name its account."""
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_s: float = Field(default=1.0, ge=0)

    @model_validator(mode="after")
    def _one_source_each(self) -> Self:
        if self.webhook_secret and self.webhook_secret_file:
            raise ValueError("set webhook_secret or webhook_secret_file, not both")
        if self.api_token and self.api_token_file:
            raise ValueError("set api_token or api_token_file, not both")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_secret or self.webhook_secret_file)

    def secrets(self) -> list[str]:
        """The secrets a delivery may be signed with, current first."""
        current = _read(self.webhook_secret, self.webhook_secret_file)
        previous = _read(self.webhook_secret_previous, None)
        return [s for s in (current, previous) if s]

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> InboundMessage | IgnoredEvent:
        """Verify one delivery in the configured format (raises ``WebhookRefused``)."""
        # The verifiers load with the first delivery, not with the settings.
        from supportdesk.service.channels.messenger.chatwoot import verify_chatwoot
        from supportdesk.service.channels.messenger.native import verify_native

        secrets = self.secrets()
        if self.format == "chatwoot":
            return verify_chatwoot(
                body,
                headers,
                secrets=secrets,
                now=now,
                account_id=self.chatwoot_account_id,
                tolerance_s=self.tolerance_s,
                max_body_bytes=self.max_body_bytes,
                max_text_chars=self.max_text_chars,
            )
        return verify_native(
            body,
            headers,
            secrets=secrets,
            now=now,
            tolerance_s=self.tolerance_s,
            max_body_bytes=self.max_body_bytes,
            max_text_chars=self.max_text_chars,
        )

    def reply_client(self) -> MessengerClient:
        """The client that posts replies back, for the configured messenger."""
        # The clients (and httpx) load with the first reply, not with the settings.
        from supportdesk.service.channels.messenger.client import (
            ChatwootReplyClient,
            SupportdeskReplyClient,
        )

        token = _read(self.api_token, self.api_token_file)
        if not self.api_url or not token:
            raise ValueError("replies need api_url and api_token (or api_token_file)")
        kind = ChatwootReplyClient if self.format == "chatwoot" else SupportdeskReplyClient
        return kind(
            self.api_url,
            token,
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            backoff_s=self.backoff_s,
        )


def _read(value: SecretStr | None, path: Path | None) -> str | None:
    if path is not None:
        return path.read_text(encoding="utf-8").strip()
    return value.get_secret_value() if value is not None else None
