"""Every action the service writes to the audit log, by name.

An `Entry` with any other action is refused when it is built, so this list is the whole
vocabulary of the log; the desk has words for each (tests/tui/test_audit_action_words.py
fails when one has none).
"""

from __future__ import annotations

from collections.abc import Mapping

from supportdesk.rules.policy import Action

RECOVERY_ACTIONS: Mapping[Action, str] = {
    Action.REMOVE_FACTOR: "factor.remove",
    Action.RESET_MFA: "mfa.reset",
    Action.ISSUE_ACCESS_CODE: "access_code.issue",
    Action.REENROL_TOTP: "totp.reenrol",
    Action.RESYNC_TOTP: "totp.resync",
    Action.UNLOCK_FACTOR: "factor.unlock",
}
"""The audit action of each account change that may need four-eyes."""

ACTIONS: frozenset[str] = frozenset(
    {
        *RECOVERY_ACTIONS.values(),
        "agent.create",
        "agent.signin",
        "agent.signout",
        "approval.approve",
        "approval.deny",
        "audit.export",
        "demo.seed",
        "enduser.signin",
        "recovery.challenge",
        "recovery.challenge.answer",
        "sms.compare_number",
        "sms.resend",
        "sms.send",
        "sms.send_failed",
        "sms.sent",
        "sms.switch_to_authenticator",
        "ticket.branch_corrected",
        "ticket.intake_refused",
        "ticket.message_appended",
        "ticket.received",
        "ticket.reply",
        "ticket.reply_failed",
        "ticket.reply_sent",
        "ticket.resolve",
        "totp.diagnose",
    }
)
