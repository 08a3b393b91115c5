"""The identity checks behind a request: attested by the agent, or verified by the service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.policy import Check
from supportdesk.service.store import challenges

CHALLENGE_TTL = timedelta(minutes=10)
"""How long the user has to read a challenge code back."""
VERIFICATION_TTL = timedelta(minutes=30)
"""How long an answered challenge counts as a check: one support conversation."""
CHALLENGE_ATTEMPTS = 5
"""Wrong read-backs before a challenge is dead (a 6-digit code must not be guessable)."""

CHANNEL_CHECK: Mapping[str, Check] = {
    "totp": Check.FACTOR_CHALLENGE,
    "sms": Check.FACTOR_CHALLENGE,
    "email": Check.EMAIL_CODE,
}
SERVICE_VERIFIED: frozenset[Check] = frozenset({Check.FACTOR_CHALLENGE, Check.EMAIL_CODE})
"""Checks that count only when the service sent the code and checked the answer."""


@dataclass
class Verification:
    """The identity checks behind a request: attested by the agent, or verified here."""

    checks: set[Check] = field(default_factory=set)
    verification_ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return sorted(c.value for c in self.checks)


async def resolve_verification(
    conn: AsyncConnection,
    *,
    agent: str,
    user_id: str,
    attested: Iterable[str],
    verification_ids: Sequence[str],
    now: datetime,
    removing_factor: str | None = None,
    removing_as: str = "removed as lost",
) -> Verification:
    """Turn what the desk sent into checks the policy may count.

    Factor challenges and e-mail codes count only through a challenge this
    agent sent to this user and the service saw answered, recently; a
    challenge answered by the very factor the request takes away (removed as
    lost, or re-enrolled because its secret is stale: `removing_as` says which)
    proves nothing about the user and is not counted.
    """
    found = Verification()
    for name in attested:
        try:
            check = Check(name)
        except ValueError:
            found.problems.append(f"Unknown identity check {name!r}.")
            continue
        if check in SERVICE_VERIFIED:
            found.problems.append(
                f"'{check.value}' counts only when the service checked the code: send a "
                "challenge and have the user read the code back."
            )
            continue
        found.checks.add(check)
    for vid in dict.fromkeys(verification_ids):
        row = await challenges.by_id(conn, vid)
        if row is None or row.user_id != user_id or row.agent != agent:
            found.problems.append(f"Verification {vid!r} is not one of yours for this user.")
        elif row.verified_at is None:
            found.problems.append(f"Verification {vid!r} was never answered correctly.")
        elif row.verified_at + VERIFICATION_TTL <= now:
            found.problems.append(
                f"Verification {vid!r} is more than {VERIFICATION_TTL.seconds // 60} minutes "
                "old; challenge the user again."
            )
        elif removing_factor is not None and row.factor_id == removing_factor:
            found.problems.append(
                f"The challenge went to the factor being {removing_as}; it proves nothing "
                "about the user. Challenge a factor they still hold, or the e-mail on file."
            )
        else:
            found.checks.add(CHANNEL_CHECK[row.channel])
            found.verification_ids.append(vid)
    return found
