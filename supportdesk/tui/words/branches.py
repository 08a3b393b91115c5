"""A ticket's branch in the desk's words: short names for the queue, and where Enter goes.

The branch shown is the agent's correction when there is one, else the classifier's
guess; below its threshold the guess is "unsure" and the queue names the top two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from supportdesk.rules.tree import BRANCH_TITLES, Branch

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket

UNSURE: Final = "unsure"

BRANCH_SHORT: Final[dict[str, str]] = {
    Branch.SMS_NOT_RECEIVED.value: "SMS",
    Branch.CODE_NOT_ACCEPTED.value: "App code",
    Branch.LOST_DEVICE.value: "Lost device",
    Branch.WHY_PROMPTED.value: "Why asked",
    Branch.SERVICE_ACCOUNT.value: "Service",
    Branch.SETUP_HELP.value: "Setup help",
    Branch.NOT_MFA.value: "Not MFA",
}
"""Fits the queue's branch column at 80 columns."""

BRANCH_TINY: Final[dict[str, str]] = {
    Branch.SMS_NOT_RECEIVED.value: "SMS",
    Branch.CODE_NOT_ACCEPTED.value: "App",
    Branch.LOST_DEVICE.value: "Lost",
    Branch.WHY_PROMPTED.value: "Why",
    Branch.SERVICE_ACCOUNT.value: "Service",
    Branch.SETUP_HELP.value: "Setup",
    Branch.NOT_MFA.value: "Not MFA",
}
"""Two of these fit the column when the desk is unsure ("? Setup/Not MFA")."""

BRANCH_SCREENS: Final[dict[str, str]] = {
    Branch.SMS_NOT_RECEIVED.value: "sms",
    Branch.CODE_NOT_ACCEPTED.value: "authenticator",
    Branch.LOST_DEVICE.value: "lost_device",
    Branch.WHY_PROMPTED.value: "why_prompted",
    Branch.SERVICE_ACCOUNT.value: "lost_device",  # the article's service-account steps live there
}
"""The account screen's branch (its key's parameter) that serves each branch."""

ANSWERED_HERE: Final = frozenset({Branch.SETUP_HELP.value, Branch.NOT_MFA.value})
"""Branches answered with a reply alone: no account needs opening."""

RESOLVE_OUTCOMES: Final[dict[str, str]] = {
    Branch.SETUP_HELP.value: "question_answered",
    Branch.NOT_MFA.value: "routed_elsewhere",
    Branch.WHY_PROMPTED.value: "explained",
    Branch.SERVICE_ACCOUNT.value: "service_account_guidance",
}
"""The outcome a reply on such a branch suggests (the agent can still change it)."""


def shown_branch(ticket: Ticket) -> str:
    """The branch code the desk acts on, or "unsure"."""
    if ticket.correction is not None:
        return ticket.correction.branch
    if ticket.triage is None:
        return UNSURE
    return ticket.triage.branch


def branch_title(code: str) -> str:
    try:
        return BRANCH_TITLES[Branch(code)]
    except ValueError:
        return "Unsure which branch"


def branch_cell(ticket: Ticket) -> str:
    """The queue's branch column: "SMS 79%", "✎ App code" (the agent's choice), or
    "? Setup/Lost" (unsure: the top two, best first)."""
    if ticket.correction is not None:
        return "✎ " + BRANCH_SHORT.get(ticket.correction.branch, ticket.correction.branch)
    triage = ticket.triage
    if triage is None or not triage.top:
        return "?"
    if triage.unsure:
        return "? " + "/".join(BRANCH_TINY.get(g.branch, g.branch) for g in triage.top[:2])
    return f"{BRANCH_SHORT.get(triage.branch, triage.branch)} {round(triage.confidence * 100)}%"


def branch_line(ticket: Ticket) -> str:
    """The ticket card's line: the branch in full words and how it was decided."""
    if ticket.correction is not None:
        return f"{branch_title(ticket.correction.branch)} (chosen by {ticket.correction.by})"
    triage = ticket.triage
    if triage is None or not triage.top:
        return "Unsure which branch"
    if triage.unsure:
        two = " or ".join(
            f"{branch_title(g.branch)} {round(g.confidence * 100)}%" for g in triage.top[:2]
        )
        return f"Unsure: {two}"
    return f"{branch_title(triage.branch)} · {round(triage.confidence * 100)}% sure"
