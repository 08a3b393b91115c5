"""How a factor and a sign-in method are named, wherever an agent reads one.

One table for the service (audit entries, summaries, challenge destinations) and the desk
(account and lost-phone screens): "Authenticator app 'Pixel'" in a list, "an authenticator
app" in a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

FACTOR_WORDS: Mapping[str, str] = MappingProxyType(
    {"totp": "Authenticator app", "sms": "SMS", "security_key": "Security key"}
)
"""A factor's kind as a list or a title names it."""

METHOD_WORDS: Mapping[str, str] = MappingProxyType(
    {"totp": "an authenticator app", "sms": "SMS", "security_key": "a security key"}
)
"""A method as a sentence names it: "signs in with SMS or a security key"."""


def factor_kind(factor_type: str) -> str:
    """ "Authenticator app" for "totp"; an unknown type as it is."""
    return FACTOR_WORDS.get(factor_type, factor_type)


def method_words(factor_type: str) -> str:
    """ "an authenticator app" for "totp"; an unknown type as it is."""
    return METHOD_WORDS.get(factor_type, factor_type)


def factor_words(factor_type: str, label: str) -> str:
    """How the desk and the audit name one factor: "Authenticator app 'Pixel'"."""
    return f"{factor_kind(factor_type)} '{label}'"
