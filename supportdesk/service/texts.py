"""What the user's phone or mailbox shows: the texts the service sends, in one place."""

from __future__ import annotations


def signin_code_text(code: str, lifetime_s: int) -> str:
    """A sign-in code by text; the code first, so phones can offer to fill it in."""
    return (
        f"{code} is your Alvys verification code. It expires in {lifetime_s // 60} minutes. "
        "Alvys will never ask you for it."
    )


def challenge_text(code: str) -> str:
    """An identity check, by text or e-mail: whom to read the code to, and to nobody else."""
    return (
        f"Alvys Support: your verification code is {code}. Read it to the support agent you "
        "are talking to. Nobody else will ever ask for it."
    )


CHALLENGE_SUBJECT = "Your Alvys support verification code"
