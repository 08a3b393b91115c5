"""The troubleshooting tree from the help article, as data the desk and service share."""

from __future__ import annotations

import re
from enum import StrEnum


class Branch(StrEnum):
    SMS_NOT_RECEIVED = "sms_not_received"
    CODE_NOT_ACCEPTED = "code_not_accepted"
    LOST_DEVICE = "lost_device"
    WHY_PROMPTED = "why_prompted"
    SERVICE_ACCOUNT = "service_account"
    SETUP_HELP = "setup_help"
    """A question the article answers: setting up, a second method, password managers."""
    NOT_MFA = "not_mfa"
    """Not about MFA at all (a password reset, billing): the agent routes it elsewhere."""


BRANCH_TITLES: dict[Branch, str] = {
    Branch.SMS_NOT_RECEIVED: "SMS code not received",
    Branch.CODE_NOT_ACCEPTED: "Authenticator code not accepted",
    Branch.LOST_DEVICE: "Lost phone or security key",
    Branch.WHY_PROMPTED: "Why was I prompted?",
    Branch.SERVICE_ACCOUNT: "Service account and MFA",
    Branch.SETUP_HELP: "Setting up MFA (a question)",
    Branch.NOT_MFA: "Not about MFA",
}

TICKET_OUTCOMES: dict[str, str] = {
    "sms_resent": "SMS code resent and received",
    "switched_to_authenticator": "Moved the user to the authenticator app",
    "clock_fixed": "Phone clock set to automatic",
    "reenrolled": "Authenticator re-enrolled with a new QR code",
    "factor_removed": "Lost factor removed; user signs in with another method",
    "mfa_reset": "MFA reset after identity verification",
    "access_code_issued": "One-time access code issued",
    "explained": "Explained why MFA was requested",
    "service_account_guidance": "Service account: credential manager guidance given",
    "question_answered": "Question answered from the help article",
    "routed_elsewhere": "Not about MFA: sent to the right team",
    "no_action_needed": "No change needed",
    "escalated": "Escalated to a team lead",
}
"""Outcome codes a ticket can be resolved with, and how the desk words them."""

_KEYWORDS: tuple[tuple[Branch, tuple[str, ...]], ...] = (
    (Branch.SERVICE_ACCOUNT, ("integration", "service account", "api user", "automation")),
    (
        Branch.LOST_DEVICE,
        ("lost", "stolen", "new phone", "broke", "broken", "yubikey", "security key"),
    ),
    (Branch.SMS_NOT_RECEIVED, ("text", "sms", "not getting", "no code", "receive")),
    (Branch.CODE_NOT_ACCEPTED, ("invalid", "not accepted", "wrong code", "incorrect", "rejected")),
    (Branch.WHY_PROMPTED, ("why", "keeps asking", "prompt", "every time", "asked me")),
    (
        Branch.SETUP_HELP,
        ("set up", "setup", "bitwarden", "1password", "password manager", "second method"),
    ),
)


def suggest_branch(ticket_text: str) -> Branch | None:
    """A first guess at the branch from the ticket's words; the agent can change it.

    The desk's fallback while the trained classifier (``supportdesk.triage``) loads. It
    never answers ``NOT_MFA``: no keyword proves a ticket is not about MFA, so ``None``.
    Whole words only, so "broker" does not read as "broke" nor "keyboard" as "key".
    """
    text = ticket_text.lower()
    for branch, words in _KEYWORDS:
        if any(re.search(rf"\b{re.escape(word)}\b", text) for word in words):
            return branch
    return None
