"""What the desk can do in front of privacyIDEA, and why the rest is not offered."""

from __future__ import annotations

from collections.abc import Mapping

from supportdesk.service.provider.interface import Capability

NO_RECEIPTS = (
    "privacyIDEA hands a text to its SMS gateway and records only whether that worked; "
    "it receives no delivery receipts from the carrier"
)
NO_RETIRE = (
    "privacyIDEA has no 'new QR code at next sign-in' switch for one token: remove the "
    "token, and the user enrols a new one under privacyIDEA's enrolment policies"
)
NO_REQUIRE = (
    "privacyIDEA decides what a user must enrol through its own policies "
    "(e.g. enroll_via_multichallenge), not per user from the desk"
)
NO_ENDUSER = "end users sign in at the applications privacyIDEA protects, not through the desk"

CAPABILITIES: Mapping[Capability, str | None] = {
    **{capability: None for capability in Capability},
    Capability.SMS_RECEIPTS: NO_RECEIPTS,
    Capability.RETIRE_TOTP: NO_RETIRE,
    Capability.REQUIRE_ENROLMENT: NO_REQUIRE,
    Capability.ENDUSER_SIGNIN: NO_ENDUSER,
}
"""Everything else is offered; measuring drift from codes needs the seed privacyIDEA keeps,
so the code check measures the phone's time only and resync measures the rest."""
