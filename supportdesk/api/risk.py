"""Branch 4, "why was I prompted?": wire models and calls."""

from __future__ import annotations

from datetime import datetime

from supportdesk.api.base import ClientBase, seg
from supportdesk.api.models import Wire


class RiskSignalOut(Wire):
    signal: str  # new_device | new_location | impossible_travel | untrusted_ip
    message: str


class SignInRisk(Wire):
    """One sign-in, judged only from the sign-ins before it."""

    at: datetime
    device_name: str
    place: str
    ip: str
    ip_reputation: str
    mfa_prompted: bool
    mfa_passed: bool | None
    signals: list[RiskSignalOut]
    prompt_expected: bool
    prompt_matches: bool
    cause: str
    explanation: str


class RiskReport(Wire):
    """Newest first; `latest_prompt` is the sign-in the user most likely asks about."""

    user_id: str
    signins: list[SignInRisk]
    latest_prompt: SignInRisk | None


class RiskCalls(ClientBase):
    async def why_prompted(self, user_id: str, limit: int = 30) -> RiskReport:
        return await self._get(f"/v1/users/{seg(user_id)}/risk", RiskReport, limit=limit)
