"""The one interface every SMS gateway offers the service, and the words they share.

A gateway takes a text for one number and answers with the provider's reference and the
message's first state; later the service asks it for the current state of a message
(``poll``) when the delivery log is read. Gateways never see the store or the clock: the
caller passes ``now``, so a simulated carrier can work out states from elapsed time and a
real provider can be asked over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, Protocol

DeliveryStatus = Literal["queued", "sent", "delivered", "failed", "undelivered"]

FINAL_STATUSES: Final[frozenset[str]] = frozenset({"delivered", "failed", "undelivered"})
"""States a message never leaves: the log stops asking the gateway about it."""

_RANK: Final[dict[str, int]] = {
    "queued": 0,
    "sent": 1,
    "delivered": 2,
    "failed": 2,
    "undelivered": 2,
}


def moves_forward(old: str, new: str) -> bool:
    """Whether a reported state is news: states only advance, a final one never changes."""
    if old in FINAL_STATUSES or new == old:
        return False
    return _RANK.get(new, -1) > _RANK.get(old, -1)


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    """One text to send. ``reference`` is the service's own id for the delivery."""

    to_e164: str
    text: str
    reference: str


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """Where a message stands, in the provider's words for any failure.

    ``reason`` is the provider's human phrase, ``reason_code`` its error code (kept as
    text: providers use numbers, names or both); ``at`` is when the provider says the
    state was reached, when it says so.
    """

    status: DeliveryStatus
    reason: str | None = None
    reason_code: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """A message the provider accepted: its reference there and its first state."""

    provider_ref: str
    state: DeliveryState


class SmsGatewayError(Exception):
    """The provider refused the message or could not be reached: nothing was sent.

    ``reason`` is shown to the agent as is, so it never carries credentials or the
    full number; ``code`` is the provider's error code, or one of ours ("timeout",
    "unreachable", "http_503") when the provider gave none.
    """

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class SmsGateway(Protocol):
    """What the service needs from an SMS provider."""

    @property
    def name(self) -> str:
        """A short name for the audit log and the delivery log ("simulated", "http")."""
        ...

    async def send(self, message: OutgoingSms, now: datetime) -> SendReceipt:
        """Hand the message to the provider; raise ``SmsGatewayError`` when it is refused."""
        ...

    async def poll(
        self, provider_ref: str, to_e164: str, sent_at: datetime, now: datetime
    ) -> DeliveryState | None:
        """The message's state now, or None when the provider has nothing new to say."""
        ...
