"""The built-in identity provider: today's behaviour over our own tables.

Users, factors (with their secrets), sign-in codes, access codes, the user's own sessions
and sign-in history live in the service's store; texts go through the configured SMS
gateway. It offers every capability except the two it has no state for (see
`CAPABILITIES`).
"""

from __future__ import annotations

from collections.abc import Mapping

from supportdesk.service.provider.builtin.changes import NO_OWN_LOG, Changes
from supportdesk.service.provider.builtin.enduser import EndUsers
from supportdesk.service.provider.builtin.sms import Texts
from supportdesk.service.provider.builtin.totp import NO_LOCK, NO_RESYNC, Apps
from supportdesk.service.provider.builtin.users import Users
from supportdesk.service.provider.interface import Capability

CAPABILITIES: Mapping[Capability, str | None] = {
    **{capability: None for capability in Capability},
    Capability.RESYNC_TOTP: NO_RESYNC,
    Capability.UNLOCK_FACTOR: NO_LOCK,
    Capability.PROVIDER_AUDIT: NO_OWN_LOG,
}


class BuiltinProvider(Users, Texts, Apps, Changes, EndUsers):
    """Every call of `IdentityProvider`, over the service's own store."""

    name = "builtin"
    capabilities = CAPABILITIES


__all__ = ["CAPABILITIES", "BuiltinProvider"]
