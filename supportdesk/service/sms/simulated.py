"""A simulated carrier for the embedded desk, the demo world and the tests.

It behaves like a real SMS provider seen through its status API, and it is deterministic
per number: a message's state is a function of the destination and of the time elapsed
since it was sent, so nothing runs in the background and a test moves the service clock
to watch a delivery advance. Numbers behave as follows:

- numbers listed in the carrier's scripts follow their script; the demo's are
  ``DEMO_SCRIPTS`` (the "not getting the text" ticket's number is held up by the carrier
  for over a minute and then delivered);
- numbers whose country is not on the article's SMS list, and invalid numbers, are
  refused before sending, with the provider-style error a real gateway gives;
- lines that cannot take a text (landlines, toll-free, premium) are accepted and then
  come back undelivered, "landline or unreachable carrier";
- every other number is delivered within a few seconds.

Error codes follow the widely used Twilio numbering, so they read like a real provider's.
The carrier itself keeps nothing: the service puts each text it accepted in the demo
inbox (``supportdesk.service.store.inbox``), which stands for the user's phone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from supportdesk.service.sms.gateway import (
    DeliveryState,
    DeliveryStatus,
    OutgoingSms,
    SendReceipt,
    SmsGatewayError,
)


@dataclass(frozen=True, slots=True)
class Step:
    """From ``after_s`` seconds after sending, the message is in ``status``."""

    after_s: float
    status: DeliveryStatus
    reason: str | None = None
    reason_code: str | None = None


Script = tuple[Step, ...]

PROMPT: Final[Script] = (Step(0, "queued"), Step(2, "sent"), Step(5, "delivered"))
"""A healthy mobile: handed to the carrier at once, on the phone a few seconds later."""

DELAYED: Final[Script] = (Step(0, "queued"), Step(4, "sent"), Step(75, "delivered"))
"""The carrier holds the text for over a minute, then delivers it (the article's "some
carriers delay delivery")."""

LANDLINE: Final[Script] = (
    Step(0, "queued"),
    Step(2, "sent"),
    Step(6, "undelivered", "Landline or unreachable carrier", "30006"),
)
UNREACHABLE_HANDSET: Final[Script] = (
    Step(0, "queued"),
    Step(2, "sent"),
    Step(40, "undelivered", "Unreachable destination handset (phone off or no coverage)", "30003"),
)
CARRIER_FILTERED: Final[Script] = (
    Step(0, "queued"),
    Step(2, "sent"),
    Step(8, "undelivered", "Message filtered by the carrier", "30007"),
)

DEMO_SCRIPTS: Final[Mapping[str, Script]] = {
    # Tyler Brooks (T-1042, "I'm not getting the text code"): a slow carrier.
    "+15055550162": DELAYED,
    # Harpreet Gill's backup cell: the carrier's spam filter eats the text.
    "+16475550143": CARRIER_FILTERED,
    # Olena Kovalenko's Kyivstar phone: switched off or out of coverage.
    "+380675142288": UNREACHABLE_HANDSET,
}
"""How the demo world's numbers behave beyond the rules above."""


class SimulatedCarrier:
    """An SMS provider simulated from the number and the elapsed time (see module doc)."""

    def __init__(self, scripts: Mapping[str, Script] | None = None) -> None:
        self._scripts: Mapping[str, Script] = DEMO_SCRIPTS if scripts is None else scripts

    @property
    def name(self) -> str:
        return "simulated"

    async def send(self, message: OutgoingSms, now: datetime) -> SendReceipt:
        """Refuse what a provider refuses up front; otherwise accept and queue."""
        self._refusal(message.to_e164)
        digest = hashlib.sha256(f"{message.reference}|{now.isoformat()}".encode()).hexdigest()
        ref = f"SIM{digest[:20].upper()}"
        first = _step_at(self.script_for(message.to_e164), 0)
        return SendReceipt(provider_ref=ref, state=_state(first, now))

    async def poll(
        self, provider_ref: str, to_e164: str, sent_at: datetime, now: datetime
    ) -> DeliveryState | None:
        """The state the script gives for the time elapsed since sending."""
        step = _step_at(self.script_for(to_e164), (now - sent_at).total_seconds())
        return _state(step, sent_at + timedelta(seconds=step.after_s))

    def script_for(self, to_e164: str) -> Script:
        """The timeline a message to this number follows."""
        scripted = self._scripts.get(to_e164)
        if scripted is not None:
            return scripted
        from supportdesk.rules.phone import PhoneParseError, analyse_phone  # numbering plans

        try:
            analysis = analyse_phone(to_e164)
        except PhoneParseError:
            return LANDLINE
        return PROMPT if analysis.can_receive_sms else LANDLINE

    def _refusal(self, to_e164: str) -> None:
        # The numbering-plan data loads with the first text, not with the service.
        from supportdesk.rules.phone import PhoneParseError, analyse_phone

        try:
            analysis = analyse_phone(to_e164)
        except PhoneParseError:
            raise SmsGatewayError("Invalid 'To' phone number", "21211") from None
        if not analysis.valid:
            raise SmsGatewayError("Invalid 'To' phone number", "21211")
        if not analysis.sms_country_supported:
            raise SmsGatewayError(
                "Permission to send an SMS has not been enabled for the region of this number",
                "21408",
            )


def _step_at(script: Script, elapsed_s: float) -> Step:
    """The last step reached after ``elapsed_s`` seconds (the first one before that)."""
    current = script[0]
    for step in script:
        if step.after_s <= elapsed_s:
            current = step
    return current


def _state(step: Step, at: datetime) -> DeliveryState:
    return DeliveryState(
        status=step.status, reason=step.reason, reason_code=step.reason_code, at=at
    )
