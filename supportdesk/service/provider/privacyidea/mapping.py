"""privacyIDEA's users and tokens as the desk's records.

A user's id on the desk comes from `directory` (`pi-` and a hash of realm and username,
kept in our store). A factor's id is the token's serial. Token types the desk has no screen for
(passwords, HOTP, the lost-token replacements, ...) are not shown as factors.
"""

from __future__ import annotations

from datetime import UTC, datetime

from supportdesk.service.provider.interface import FactorRecord, UserRecord
from supportdesk.service.provider.privacyidea.directory import desk_id
from supportdesk.service.provider.privacyidea.models import PiToken, PiUser
from supportdesk.service.provider.privacyidea.settings import PrivacyIdeaSettings

UNKNOWN_DATE = datetime(1970, 1, 1, tzinfo=UTC)
"""privacyIDEA keeps no creation date for users; tokens get theirs from its audit."""

FACTOR_TYPES = {
    "totp": "totp",
    "sms": "sms",
    "webauthn": "security_key",
    "passkey": "security_key",
    "u2f": "security_key",
    "yubikey": "security_key",
}
"""privacyIDEA token type -> the desk's factor type."""


def shown(token: PiToken) -> bool:
    """A token the desk lists as one of the user's methods."""
    return (
        token.tokentype.lower() in FACTOR_TYPES
        and token.active
        and not token.revoked
        and not token.lost_token_for
    )


def factor_record(token: PiToken, user_id: str, created_at: datetime | None) -> FactorRecord:
    return FactorRecord(
        id=token.serial,
        user_id=user_id,
        type=FACTOR_TYPES.get(token.tokentype.lower(), token.tokentype.lower()),
        label=token.description or token.serial,
        created_at=created_at or UNKNOWN_DATE,
        last_used_at=token.last_auth,
        phone_e164=token.phone.number.get_secret_value() if token.phone else None,
        usable=token.active and not token.revoked,
        locked=token.fail_locked,
        fail_count=token.failcount,
        max_fail=token.maxfail,
        clock_offset_s=token.time_shift_s,
    )


def user_record(
    settings: PrivacyIdeaSettings,
    user: PiUser,
    tokens: list[PiToken],
    last_reset: datetime | None = None,
) -> UserRecord:
    """The desk's view of a directory user; who is sensitive comes from our settings."""
    domain = user.email.partition("@")[2]
    return UserRecord(
        id=desk_id(user.username, user.realm),
        name=user.display_name,
        email=user.email,
        company=domain.rsplit(".", 1)[0] if domain else "",
        region="",
        timezone="UTC",
        kind="service" if user.username in settings.service_accounts else "individual",
        is_admin=user.username in settings.sensitive_users,
        is_staff=False,
        mfa_status="active" if any(shown(t) for t in tokens) else "setup_required",
        enrol_required=None,
        last_mfa_reset_at=last_reset,
        created_at=UNKNOWN_DATE,
    )
