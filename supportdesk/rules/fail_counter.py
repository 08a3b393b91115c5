"""A token locked by its fail counter: the verdict that comes before any clock question.

privacyIDEA counts wrong codes per token and, at its maximum (10 by default), refuses
even right ones until an admin resets the counter. No clock fix helps then, so this
verdict wins over the clock's: reset the counter, then let the user try the newest code.
Pure: no I/O.
"""

from __future__ import annotations

from supportdesk.rules.clock_verdict import Verdict


def locked_verdict(fail_count: int | None, max_fail: int | None) -> Verdict:
    counted = (
        f"{fail_count} wrong codes in a row reached its limit of {max_fail}"
        if fail_count is not None and max_fail
        else "its fail counter reached its limit"
    )
    return Verdict(
        kind="fail_counter_locked",
        headline=f"The token is locked: {counted}, so even right codes are refused.",
        steps=(
            "Reset the fail counter (unlock the token): the user's codes are accepted again.",
            "Then ask the user to sign in with the newest code, right after it changes.",
            "If codes are still refused after that, check the phone's clock.",
        ),
        drift=None,
        basis="none",
        certain=True,
        notes=(
            "Many wrong codes can also mean someone else is guessing: confirm the user "
            "made the attempts before unlocking.",
        ),
    )
