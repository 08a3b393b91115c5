"""Two fixes for an authenticator code that is not accepted, where the provider has them.

Resync: the user reads two consecutive codes and the provider learns the phone's clock
offset (privacyIDEA's `/token/resync`); the answer carries the offset it stored. Unlock:
a token whose fail counter reached its maximum refuses even right codes; resetting the
counter (privacyIDEA's `/token/reset`) lets them through again. Behind a provider without
them, `/v1/capabilities` lists `totp_resync` / `token_unlock` as unavailable, with why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from supportdesk.api.base import ClientBase, seg
from supportdesk.api.models import UserProfile, Wire
from supportdesk.api.recovery import new_idempotency_key

Code = Annotated[str, Field(min_length=1, max_length=32)]


class TotpResyncRequest(Wire):
    ticket_id: str = Field(min_length=1, max_length=16)
    reason: str = Field(default="", max_length=2000)
    first_code: Code
    second_code: Code
    factor_id: str | None = Field(default=None, max_length=64)


class TotpResynced(Wire):
    """The provider's answer: `drift_s` is the offset it stored (phone ahead: positive)."""

    user_id: str
    factor_id: str
    factor_label: str
    resynced: bool
    drift_s: float | None
    phrase: str
    next_step: str
    profile: UserProfile


class TokenUnlockRequest(Wire):
    ticket_id: str = Field(min_length=1, max_length=16)
    reason: str = Field(default="", max_length=2000)
    factor_id: str | None = Field(default=None, max_length=64)


class TokenUnlocked(Wire):
    user_id: str
    factor_id: str
    factor_label: str
    fail_count_before: int | None
    max_fail: int | None
    unlocked_at: datetime
    next_step: str
    profile: UserProfile


class TokenFixCalls(ClientBase):
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
    ) -> TotpResynced:
        """Resynced (or not: `resynced` false when the codes did not follow each other)."""
        body = TotpResyncRequest(
            ticket_id=ticket_id,
            reason=reason,
            first_code=first_code,
            second_code=second_code,
            factor_id=factor_id,
        )
        return await self._post(
            f"/v1/users/{seg(user_id)}/totp/resync",
            TotpResynced,
            body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )

    async def unlock_token(
        self,
        user_id: str,
        ticket_id: str,
        *,
        reason: str,
        factor_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> TokenUnlocked:
        """Reset the fail counter of the user's locked token (the only one, or the one named)."""
        body = TokenUnlockRequest(ticket_id=ticket_id, reason=reason, factor_id=factor_id)
        return await self._post(
            f"/v1/users/{seg(user_id)}/totp/unlock",
            TokenUnlocked,
            body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
