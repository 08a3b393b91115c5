"""The features a back end may offer: one vocabulary for the service and the desk.

`/v1/capabilities` lists the ones a deployment offers in `features` and, for each
one it lacks, a `FeatureGap` with the reason, so a screen can say "not available
on this back end: ..." before the agent presses a key rather than fail after.
"""

from __future__ import annotations

from typing import Final

TICKETS: Final = "tickets"
USERS: Final = "users"
SIGNINS: Final = "signins"
AUDIT: Final = "audit"
AUDIT_EXPORT: Final = "audit_export"
AUDIT_VERIFY: Final = "audit_verify"
AUDIT_REVIEW: Final = "audit_review"
PROVIDER_AUDIT: Final = "provider_audit"
ENDUSER_SIGNIN: Final = "enduser_signin"
WHY_PROMPTED: Final = "why_prompted"
TOTP_DIAGNOSE: Final = "totp_diagnose"
TOTP_REENROL: Final = "totp_reenrol"
TOTP_RESYNC: Final = "totp_resync"
TOKEN_UNLOCK: Final = "token_unlock"
LOST_DEVICE: Final = "lost_device"
REMOVE_FACTOR: Final = "remove_factor"
RESET_MFA: Final = "reset_mfa"
ACCESS_CODE: Final = "access_code"
APPROVALS: Final = "approvals"
SMS: Final = "sms"
SMS_RESEND: Final = "sms_resend"
SMS_DELIVERY_RECEIPTS: Final = "sms_delivery_receipts"

ALL: Final[tuple[str, ...]] = (
    TICKETS,
    USERS,
    SIGNINS,
    AUDIT,
    AUDIT_EXPORT,
    AUDIT_VERIFY,
    AUDIT_REVIEW,
    PROVIDER_AUDIT,
    ENDUSER_SIGNIN,
    WHY_PROMPTED,
    TOTP_DIAGNOSE,
    TOTP_REENROL,
    TOTP_RESYNC,
    TOKEN_UNLOCK,
    LOST_DEVICE,
    REMOVE_FACTOR,
    RESET_MFA,
    ACCESS_CODE,
    APPROVALS,
    SMS,
    SMS_RESEND,
    SMS_DELIVERY_RECEIPTS,
)

TITLES: Final[dict[str, str]] = {
    TICKETS: "ticket queue",
    USERS: "user search",
    SIGNINS: "sign-in history",
    AUDIT: "audit log",
    AUDIT_EXPORT: "audit export",
    AUDIT_VERIFY: "audit verification",
    AUDIT_REVIEW: "audit review queue",
    PROVIDER_AUDIT: "the identity provider's own audit log",
    ENDUSER_SIGNIN: "end-user sign-in",
    WHY_PROMPTED: "why was I prompted",
    TOTP_DIAGNOSE: "authenticator code check",
    TOTP_REENROL: "authenticator re-enrolment",
    TOTP_RESYNC: "authenticator resync",
    TOKEN_UNLOCK: "unlock a locked token",
    LOST_DEVICE: "lost phone or key",
    REMOVE_FACTOR: "remove a factor",
    RESET_MFA: "reset MFA",
    ACCESS_CODE: "one-time access code",
    APPROVALS: "four-eyes approvals",
    SMS: "SMS troubleshooting",
    SMS_RESEND: "resend the SMS code",
    SMS_DELIVERY_RECEIPTS: "SMS delivery receipts",
}
"""What a feature is called where the desk names one that is unavailable."""
