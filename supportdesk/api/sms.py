"""Branch 1, "SMS code not received": wire models and the client's calls.

Numbers cross the API only masked: the analysis of the number on file says what it is
(country, line type, whether a text can reach it) without saying what it is, and a
number the user states is compared on the server. Codes never cross it at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from supportdesk.api.base import ClientBase, seg
from supportdesk.api.models import FactorType, UserProfile, Wire

DeliveryStatus = Literal["queued", "sent", "delivered", "failed", "undelivered"]
Verdict = Literal["same", "same_other_notation", "differs_country_code", "differs"]
SmsCapability = Literal["yes", "maybe", "no"]


class NumberFacts(Wire):
    """What the desk may know about a number: its analysis, masked, never the digits."""

    masked: str
    country_code: int
    region: str | None
    country: str | None
    valid: bool
    possible: bool
    line_type: str
    sms_capability: SmsCapability
    can_receive_sms: bool
    sms_country_supported: bool


class SmsFactorFacts(Wire):
    """One SMS method on file, with whether a code can be sent to it and, if not, why."""

    factor_id: str
    label: str
    number: NumberFacts | None
    can_send: bool
    refusal: str | None = None


class SmsOverview(Wire):
    """Everything the SMS screen opens with."""

    user_id: str
    factors: list[SmsFactorFacts]
    next_send_in_s: int
    limits: list[str]
    code_lifetime_s: int
    has_authenticator: bool
    enrol_required: FactorType | None = None


class CompareNumber(Wire):
    number: str = Field(min_length=1, max_length=64)
    region: str | None = Field(default=None, min_length=2, max_length=2)
    factor_id: str | None = Field(default=None, max_length=24)
    ticket_id: str | None = Field(default=None, max_length=16)


class NumberCheck(Wire):
    """The verdict on a stated number against the one on file, and what the stated one is."""

    factor_id: str
    verdict: Verdict
    matches: bool
    stated: NumberFacts


class ResendCode(Wire):
    factor_id: str | None = Field(default=None, max_length=24)
    ticket_id: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, max_length=500)


class SmsDelivery(Wire):
    """One text in the delivery log; ``reason`` is the carrier's, when it failed."""

    id: int
    factor_id: str
    at: datetime
    updated_at: datetime
    phone_masked: str
    status: DeliveryStatus
    reason: str | None
    reason_code: str | None
    final: bool


class SmsResent(Wire):
    """The delivery a resend started; no code expiry when the gateway refused it."""

    delivery: SmsDelivery
    code_expires_at: datetime | None
    next_send_in_s: int


class SwitchToAuthenticator(Wire):
    reason: str = Field(min_length=1, max_length=500)
    ticket_id: str | None = Field(default=None, max_length=16)


class EndUserSmsRequest(Wire):
    challenge_id: str = Field(min_length=1, max_length=64)
    factor_id: str | None = Field(default=None, max_length=24)


class EndUserSmsSent(Wire):
    """What the sign-in page tells the user after "Resend code"."""

    phone_masked: str
    status: DeliveryStatus
    code_expires_at: datetime | None
    reason: str | None = None


class SmsCalls(ClientBase):
    """The SMS branch: analyse, compare, resend, follow deliveries, switch to the app."""

    async def sms_overview(self, user_id: str) -> SmsOverview:
        return await self._get(f"/v1/users/{seg(user_id)}/sms", SmsOverview)

    async def compare_sms_number(
        self,
        user_id: str,
        number: str,
        *,
        region: str | None = None,
        factor_id: str | None = None,
        ticket_id: str | None = None,
    ) -> NumberCheck:
        body = CompareNumber(number=number, region=region, factor_id=factor_id, ticket_id=ticket_id)
        return await self._post(f"/v1/users/{seg(user_id)}/sms/compare", NumberCheck, body)

    async def resend_sms_code(
        self,
        user_id: str,
        *,
        factor_id: str | None = None,
        ticket_id: str | None = None,
        reason: str | None = None,
    ) -> SmsResent:
        body = ResendCode(factor_id=factor_id, ticket_id=ticket_id, reason=reason)
        return await self._post(f"/v1/users/{seg(user_id)}/sms/resend", SmsResent, body)

    async def sms_deliveries(self, user_id: str, limit: int = 20) -> list[SmsDelivery]:
        return await self._get(
            f"/v1/users/{seg(user_id)}/sms/deliveries", list[SmsDelivery], limit=limit
        )

    async def switch_to_authenticator(
        self, user_id: str, reason: str, *, ticket_id: str | None = None
    ) -> UserProfile:
        body = SwitchToAuthenticator(reason=reason, ticket_id=ticket_id)
        return await self._post(
            f"/v1/users/{seg(user_id)}/sms/switch-to-authenticator", UserProfile, body
        )

    async def enduser_send_sms(
        self, challenge_id: str, factor_id: str | None = None
    ) -> EndUserSmsSent:
        """The end user's "Resend code" during sign-in (no agent session needed)."""
        body = EndUserSmsRequest(challenge_id=challenge_id, factor_id=factor_id)
        return await self._post("/v1/enduser/signin/sms", EndUserSmsSent, body)
