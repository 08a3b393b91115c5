"""What the reply screen offers to insert, and how a reply's delivery is worded.

The branch's explanation (the why-prompted sentence, the user's own SMS country)
comes first, then the article's answers the ticket's words find, then the rest of the
branch's answers. Pure: the screen fetches what it needs and passes it in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from supportdesk.rules.quick_answers import (
    QuickAnswer,
    answers_for_branch,
    quick_answer,
    search_quick_answers,
    sms_country_check,
)
from supportdesk.rules.tree import Branch

NOT_MFA_REPLY: Final = (
    "Your message is not about signing in with a code, so I have passed it to the team "
    "that looks after this; they will answer you in this conversation."
)
"""The reply for a ticket that is not about MFA: say so, and route it."""

DELIVERY_WORDS: Final[dict[str, str]] = {
    "recorded": "kept with the ticket",
    "queued": "waiting to be sent",
    "sent": "sent",
    "failed": "not sent",
}

SEARCH_HITS: Final = 3
"""How many answers found by the ticket's own words go before the branch's list."""


@dataclass(frozen=True, slots=True)
class Snippet:
    id: str
    title: str
    text: str


def answer_text(answer: QuickAnswer, region: str | None) -> str:
    """The SMS countries answer opens with the user's own country when it is known."""
    if answer.id == "sms_countries" and region:
        return sms_country_check(region).text
    return answer.text


def quick_snippet(answer_id: str, region: str | None = None) -> Snippet:
    answer = quick_answer(answer_id)
    return Snippet(answer.id, answer.title, answer_text(answer, region))


def snippets_for(
    subject: str,
    text: str,
    branch: str,
    *,
    region: str | None = None,
    explanation: str = "",
) -> list[Snippet]:
    """The explanation, then answers the ticket's words find (its subject's first: the
    search weighs every word, and a long message is mostly chatter), then the branch's."""
    found: list[Snippet] = []
    if explanation:
        found.append(Snippet("explanation", "The explanation for this user", explanation))
    if branch == Branch.NOT_MFA.value:
        found.append(Snippet("not_mfa", "Not about MFA: passed on", NOT_MFA_REPLY))
    answers: list[QuickAnswer] = []
    if branch != Branch.NOT_MFA.value:
        answers.extend(search_quick_answers(subject, limit=SEARCH_HITS - 1))
        answers.extend(search_quick_answers(text, limit=SEARCH_HITS - 1))
    with contextlib.suppress(ValueError):  # "unsure": the search alone
        answers.extend(answers_for_branch(Branch(branch)))
    seen: set[str] = set()
    for answer in answers:
        if answer.id not in seen:
            seen.add(answer.id)
            found.append(Snippet(answer.id, answer.title, answer_text(answer, region)))
    return found


def separator(before: str) -> str:
    """What goes between the reply so far (up to the cursor) and an inserted paragraph."""
    if not before.strip() or before.endswith("\n\n"):
        return ""
    return "\n" if before.endswith("\n") else "\n\n"


def reply_summary(body: str, state: str, width: int = 60) -> str:
    """One line for a reply on the ticket: its state and its start."""
    words = " ".join(body.split())
    start = words if len(words) <= width else words[: width - 1] + "…"
    return f"{DELIVERY_WORDS.get(state, state)}: {start}"


def titles(snippets: Sequence[Snippet]) -> list[str]:
    return [s.title for s in snippets]
