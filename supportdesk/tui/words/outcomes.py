"""Ticket outcomes and audit actions in words: codes stay where a lead filters by them."""

from __future__ import annotations

from typing import Final

from supportdesk.rules.tree import TICKET_OUTCOMES

AUDIT_ACTION_WORDS: Final[dict[str, str]] = {
    "agent.create": "desk account created",
    "agent.signin": "agent signed in",
    "agent.signout": "agent signed out",
    "approval.approve": "request approved",
    "approval.deny": "request denied",
    "approval.request": "request filed for a lead",
    "access_code.issue": "one-time access code issued",
    "audit.export": "audit log exported",
    "demo.seed": "demo world seeded",
    "enduser.signin": "end user's sign-in",
    "factor.remove": "factor removed",
    "factor.unlock": "token's fail counter reset",
    "mfa.reset": "MFA reset",
    "recovery.challenge": "identity challenge",
    "recovery.challenge.answer": "identity challenge answered",
    "sms.compare_number": "stated number compared",
    "sms.resend": "SMS code resent",
    "sms.send": "SMS code sent",
    "sms.send_failed": "SMS not taken by the provider",
    "sms.sent": "SMS sent by the provider",
    "sms.switch_to_authenticator": "moved to the authenticator app",
    "ticket.branch_corrected": "ticket's branch corrected",
    "ticket.intake_refused": "message refused by the intake",
    "ticket.message_appended": "user wrote again on the ticket",
    "ticket.received": "ticket arrived",
    "ticket.reply": "reply to the user",
    "ticket.reply_failed": "reply not delivered",
    "ticket.reply_sent": "reply delivered",
    "ticket.resolve": "ticket resolved",
    "totp.diagnose": "authenticator code checked",
    "totp.reenrol": "authenticator re-enrolled",
    "totp.resync": "authenticator resynced",
}


def outcome_words(code: str | None) -> str:
    """A ticket outcome as the resolve dialog names it."""
    if not code:
        return "—"
    return TICKET_OUTCOMES.get(code, code.replace("_", " "))


def action_words(action: str) -> str:
    """An audit action in words ("mfa.reset" → "MFA reset")."""
    return AUDIT_ACTION_WORDS.get(action, action.replace("_", " ").replace(".", ": "))
