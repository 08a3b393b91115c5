"""The identity provider: where users and their factors live, behind one small interface.

The desk's own work (tickets, agents and their sessions, four-eyes approvals, rate limits,
idempotency, the hash-chained audit log) is always ours, in our store. Users, their
factors and what can be done to them belong to the identity provider: the built-in one
(`builtin/`, our own tables) or an organisation's MFA server. Operations (`service.ops`)
apply the policy, approvals, limits and the audit entry whatever provider is behind them.

A provider declares what it can do (`capabilities`); a method for a capability it lacks
raises `NotSupported` with the reason, and `/v1/capabilities` reports the desk's features
that need it as unavailable with that reason. See docs/HACKING.md, "Adding a provider".
"""

from __future__ import annotations

from supportdesk.service.provider.interface import (
    Capability,
    CodeVerdict,
    FactorRecord,
    FoundUser,
    IdentityProvider,
    IssuedCode,
    NotSupported,
    ProviderEnv,
    ProviderEvent,
    QueuedSms,
    Retired,
    SignInStep,
    SmsDeliveryRecord,
    SmsPurpose,
    SmsState,
    UnknownUser,
    UserRecord,
    require,
)

__all__ = [
    "Capability",
    "CodeVerdict",
    "FactorRecord",
    "FoundUser",
    "IdentityProvider",
    "IssuedCode",
    "NotSupported",
    "ProviderEnv",
    "ProviderEvent",
    "QueuedSms",
    "Retired",
    "SignInStep",
    "SmsDeliveryRecord",
    "SmsPurpose",
    "SmsState",
    "UnknownUser",
    "UserRecord",
    "require",
]
