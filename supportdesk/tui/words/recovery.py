"""What the lost-phone screen says: how each method is used, what an action will do.

Plain functions of the wire models (markup escaped), so the wording is tested
without running the desk.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Final

from rich.markup import escape

from supportdesk.rules.factor_words import factor_kind as method_name
from supportdesk.rules.policy import Action, Check

if TYPE_CHECKING:
    from supportdesk.api.models import Factor, UserProfile
    from supportdesk.api.recovery import RecoveryResult

HOW_TO_USE: Final[dict[str, str]] = {
    "totp": "at the code prompt, open the app and type the current 6-digit code (apps that "
    "back up, like Authy or 1Password, may have it on a new phone too)",
    "sms": "choose the text message option and type the 6-digit code; Resend Code if it is slow",
    "security_key": "choose 'Use a security key', insert it (or hold it to the phone for NFC) "
    "and touch it",
}
"""How a user signs in with each kind of method, as the agent says it."""

OUTCOMES: Final[dict[Action, str]] = {
    Action.REMOVE_FACTOR: "factor_removed",
    Action.RESET_MFA: "mfa_reset",
    Action.ISSUE_ACCESS_CODE: "access_code_issued",
}
"""The ticket outcome each action leads to (a request left with a lead: "escalated")."""

ACTION_KEYS: Final[dict[Action, str]] = {
    Action.REMOVE_FACTOR: "d",
    Action.RESET_MFA: "R",
    Action.ISSUE_ACCESS_CODE: "o",
}
SHORT_TITLES: Final[dict[Action, str]] = {
    Action.REMOVE_FACTOR: "Remove lost factor",
    Action.RESET_MFA: "Reset MFA",
    Action.ISSUE_ACCESS_CODE: "Access code",
}
"""One line each in the readiness strip at 80 columns."""

CHECK_WORDS: Final[dict[str, str]] = {
    Check.FACTOR_CHALLENGE.value: "factor challenge",
    Check.EMAIL_CODE.value: "e-mail code",
    Check.EMAIL_ORIGIN.value: "e-mail origin",
    Check.ACCOUNT_OWNER_CALLBACK.value: "owner call-back",
    Check.LAST_SIGNIN_LOCATION.value: "last sign-in location",
    Check.TICKET_HISTORY.value: "ticket history",
}
"""Short names for checks, as the desk lists them in one line."""


def check_words(checks: list[str]) -> str:
    return ", ".join(CHECK_WORDS.get(c, c) for c in checks) or "none"


_LOST_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "totp": ("phone", "mobile", "authenticator", "app", "authy", "cell"),
    "sms": ("phone", "mobile", "sim", "number", "cell"),
    "security_key": ("key", "yubikey", "security key", "token"),
}


def factor_name(factor: Factor) -> str:
    return f"{method_name(factor.type)} '{factor.label}'"


def presumed_lost(profile: UserProfile, subject: str, text: str) -> set[str]:
    """The factor the ticket is about, when that is plain: the only one there is, or the
    only one the subject (else the message) points at ("phone" → the app or SMS, "key" →
    the security key). The agent can change it; every action confirms what it touches."""
    factors = profile.factors
    if len(factors) == 1:
        return {factors[0].id}
    for words in (subject.lower(), text.lower()):
        pointed = [
            f
            for f in factors
            if any(re.search(rf"\b{re.escape(w)}\b", words) for w in _LOST_WORDS.get(f.type, ()))
        ]
        if len(pointed) == 1:
            return {pointed[0].id}
    return set()


def other_ways_text(profile: UserProfile, lost: Collection[str], done: Action | None) -> str:
    """The user's other ways in (markup), or what is left to do when there are none."""
    name = escape(profile.name)
    if done is Action.RESET_MFA and profile.mfa_status == "setup_required":
        return (
            f"MFA was reset: at the next sign-in {name} sets up a new method. "
            "Nothing else to do here but resolve the ticket ([b]x[/b])."
        )
    if done is Action.ISSUE_ACCESS_CODE:
        return (
            f"A one-time access code was read to {name}: they sign in with it once and set up "
            "a new method. Resolve the ticket ([b]x[/b])."
        )
    left = [f for f in profile.factors if f.id not in lost]
    lines = [
        f"• [b]{escape(factor_name(f))}[/b]"
        + (f" ({escape(f.phone_masked)})" if f.phone_masked else "")
        + f": {HOW_TO_USE.get(f.type, 'follow the prompt')}."
        for f in left
    ]
    gone = [f for f in profile.factors if f.id in lost]
    if gone and left:
        lines.append(
            "Once the user is in with one of these, remove the lost "
            + ", ".join(escape(factor_name(f)) for f in gone)
            + " ([b]d[/b])."
        )
    if not left:
        lines.append(
            "No other method is left: verify who the user is (challenge first, [b]c[/b]), "
            "then reset MFA ([b]R[/b]) or issue a one-time access code ([b]o[/b])."
        )
    return "\n".join(lines)


def consequences(action: Action, profile: UserProfile, lost: Factor | None) -> list[str]:
    """Exactly what the action will do to this account, in the agent's words (markup)."""
    name = escape(profile.name)
    if action is Action.REMOVE_FACTOR:
        assert lost is not None
        left = [escape(factor_name(f)) for f in profile.factors if f.id != lost.id]
        return [
            f"Removes {escape(factor_name(lost))} from {name}'s account.",
            f"{name} then signs in with: {', '.join(left)}.",
            "Nothing else changes.",
        ]
    if action is Action.RESET_MFA:
        removed = [escape(factor_name(f)) for f in profile.factors] or ["none left"]
        return [
            f"Resets MFA for {name}:",
            f"• removes every factor: {', '.join(removed)}",
            "• signs the user out of every session",
            "• at the next sign-in the user must set up MFA again (any method).",
        ]
    return [
        f"Issues a one-time access code for {name}:",
        "• shown to you once, right after this: read it to the user",
        "• good for one sign-in within a short time, to set up a new method",
        "• any earlier unused code stops working; factors stay as they are.",
    ]


def result_line(result: RecoveryResult) -> str:
    pending = result.status == "pending_approval"
    return f"[b]{'Requested' if pending else 'Done'}:[/b] {escape(result.summary)}"
