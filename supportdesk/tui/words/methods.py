"""One table of words for sign-in methods (factor types), wherever the desk names one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

METHOD_NAMES: Final[dict[str, str]] = {
    "totp": "Authenticator app",
    "sms": "SMS",
    "security_key": "Security key",
}
"""A method as a list or a table names it."""

METHOD_PHRASES: Final[dict[str, str]] = {
    "totp": "an authenticator app",
    "sms": "SMS",
    "security_key": "a security key",
}
"""A method inside a sentence ("signs in with an authenticator app")."""

SHORT_NAMES: Final[dict[str, str]] = {"totp": "app", "sms": "SMS", "security_key": "key"}
"""A method in a narrow column."""


def method_name(kind: str) -> str:
    return METHOD_NAMES.get(kind, kind.replace("_", " "))


def method_phrase(kind: str) -> str:
    return METHOD_PHRASES.get(kind, kind.replace("_", " "))


def short_methods(kinds: Iterable[str]) -> str:
    """ "app, SMS" for a narrow column; "none" when nothing is set up."""
    return ", ".join(SHORT_NAMES.get(k, k.replace("_", " ")) for k in kinds) or "none"
