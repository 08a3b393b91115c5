"""How a factor and a sign-in method are named, wherever an agent reads one.

One table for the service (audit entries, summaries, challenge destinations) and the desk
(account and lost-phone screens): "Authenticator app 'Pixel'" in a list, "an authenticator
app" in a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

FACTOR_WORDS: Mapping[str, str] = MappingProxyType(
    {"totp": "Authenticator app", "sms": "SMS", "security_key": "Security key"}
)
"""A factor's kind as a list or a title names it."""

METHOD_WORDS: Mapping[str, str] = MappingProxyType(
    {"totp": "an authenticator app", "sms": "SMS", "security_key": "a security key"}
)
"""A method as a sentence names it: "signs in with SMS or a security key"."""

SHORT_WORDS: Mapping[str, str] = MappingProxyType(
    {"totp": "app", "sms": "SMS", "security_key": "key"}
)
"""A method in a narrow column."""


def factor_kind(factor_type: str) -> str:
    """ "Authenticator app" for "totp"; an unknown type in words ("push_app": "push app")."""
    return FACTOR_WORDS.get(factor_type, factor_type.replace("_", " "))


def method_words(factor_type: str) -> str:
    """ "an authenticator app" for "totp"; an unknown type in words."""
    return METHOD_WORDS.get(factor_type, factor_type.replace("_", " "))


def short_methods(kinds: Iterable[str]) -> str:
    """ "app, SMS" for a narrow column; "none" when nothing is set up."""
    return ", ".join(SHORT_WORDS.get(k, k.replace("_", " ")) for k in kinds) or "none"


def factor_words(factor_type: str, label: str) -> str:
    """How the desk and the audit name one factor: "Authenticator app 'Pixel'"."""
    return f"{factor_kind(factor_type)} '{label}'"
