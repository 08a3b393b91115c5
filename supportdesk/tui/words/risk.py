"""What the "why was I prompted?" screen says, and the reading that matters most.

A sign-in from a new device in a new country whose MFA then failed means someone
else typed the user's password: the screen leads with that, the steps that follow
from it, and a reply the agent can paste. Plain functions of the wire models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from supportdesk.tui.formatting import when

if TYPE_CHECKING:
    from datetime import tzinfo

    from supportdesk.api.risk import RiskReport, SignInRisk

SIGNAL_WORDS: Final[dict[str, str]] = {
    "new_device": "new device",
    "new_location": "new place",
    "impossible_travel": "impossible travel",
    "untrusted_ip": "untrusted IP",
}
"""Signal names in a sentence."""

SIGNAL_SHORT: Final[dict[str, str]] = {
    "new_device": "device",
    "new_location": "place",
    "impossible_travel": "travel",
    "untrusted_ip": "bad IP",
}
"""Signal names in the narrow column (its heading says they are what was new or odd)."""

REPUTATION_WORDS: Final[dict[str, str]] = {
    "good": "good",
    "unknown": "unknown",
    "untrusted": "untrusted",
    "bad": "untrusted",
}


def signal_words(item: SignInRisk) -> str:
    return ", ".join(SIGNAL_WORDS.get(s.signal, s.signal) for s in item.signals) or "none"


def signal_short(item: SignInRisk) -> str:
    return ", ".join(SIGNAL_SHORT.get(s.signal, s.signal) for s in item.signals) or "—"


def mfa_words(item: SignInRisk) -> str:
    if not item.mfa_prompted:
        return "—"
    return "asked" if item.mfa_passed is None else ("passed" if item.mfa_passed else "failed")


def country_of(place: str) -> str:
    """ "Lagos, NG" → "NG": the country code the service puts last."""
    return place.rsplit(",", 1)[-1].strip().upper()


@dataclass(frozen=True)
class PasswordReading:
    """Someone else has the password: what happened, what to do, and a reply to paste."""

    suspect: SignInRisk
    headline: str
    happened: str
    steps: tuple[str, ...]
    reply: str


def password_reading(
    report: RiskReport, first_name: str, zone: tzinfo | None
) -> PasswordReading | None:
    """The compromised-password reading, when the newest such sign-in shows it: a new
    device in a country the user had not signed in from, whose MFA then failed."""
    for n, item in enumerate(report.signins):
        fired = {s.signal for s in item.signals}
        if not ({"new_device", "new_location"} <= fired and item.mfa_passed is False):
            continue
        earlier = report.signins[n + 1 :]
        country = country_of(item.place)
        if any(country_of(e.place) == country for e in earlier):
            continue
        at = when(item.at, zone)
        own = next((s for s in report.signins[:n] if s.mfa_passed is not False), None)
        yours = (
            f" The sign-in at {when(own.at, zone)} from {own.place} on {own.device_name} was"
            f" {first_name}'s own."
            if own is not None
            else ""
        )
        return PasswordReading(
            suspect=item,
            headline=f"Someone else probably has {first_name}'s password",
            happened=(
                f"{at}: a sign-in from {item.place} on a device never seen before"
                f" ({item.device_name}) got the password right and failed the code."
                f" The code stopped it: nobody got in.{yours}"
            ),
            steps=(
                f"Tell {first_name}: change the Alvys password now, to one used nowhere"
                " else, and never pass on a code they did not ask for.",
                "The desk: y copies the reply below; x resolves (Explained), or choose"
                " Escalated for a lead if other sign-ins look wrong.",
            ),
            reply=(
                f"Hi {first_name}, the code you received came from a sign-in attempt from"
                f" {item.place} on a device we had never seen for your account ({at}, your"
                " desk's time). Whoever it was knew your password but could not enter the"
                " code, so they did not get in. Please change your Alvys password now, to one"
                " you do not use anywhere else, and never share a code you did not ask for."
                " Your own sign-ins afterwards were from your usual device, which is why they"
                " did not ask for a code."
            ),
        )
    return None


def plain_reply(item: SignInRisk, first_name: str, zone: tzinfo | None) -> str:
    """The explanation of one prompt, worded to paste into the reply."""
    reasons = "; ".join(s.message for s in item.signals)
    because = f" It asked because: {reasons}." if reasons else ""
    return (
        f"Hi {first_name}, you were asked for a code at {when(item.at, zone)} when signing in"
        f" from {item.place} on {item.device_name}.{because} Adaptive MFA asks for a code"
        " whenever a sign-in looks new or risky, to keep your account safe."
    )
