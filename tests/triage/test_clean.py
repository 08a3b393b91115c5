"""Cleaning keeps the user's own words and drops greetings, signatures and quotes."""

from __future__ import annotations

import pytest

from supportdesk.triage import clean_ticket, ticket_text, unescape_line


@pytest.mark.parametrize(
    ("text", "kept", "dropped"),
    [
        (
            "Hello Alvys support,\n\nThe SMS never comes.\n\nThanks,\nBob Reyes\nDispatch, ACME",
            "The SMS never comes.",
            ["Hello", "Bob", "ACME", "Thanks"],
        ),
        (
            "Still no code by text.\n\n"
            "On Tue, Mar 3, 2026 at 9:12 AM Alvys Support <s@example> wrote:\n"
            "> Could you confirm your number?",
            "Still no code by text.",
            ["confirm", "wrote"],
        ),
        (
            "No luck, still rejected.\n\n-----Original Message-----\n"
            "From: Alvys Support\nSent: Monday\n"
            "Please set the time to automatic.",
            "No luck, still rejected.",
            ["automatic", "Original"],
        ),
        (
            "Sigue sin llegar el código.\n\nEl lun, 2 mar 2026 a las 10:00, Soporte escribió:\n"
            "> ¿Puede revisar el número?",
            "Sigue sin llegar el código.",
            ["revisar", "escribió"],
        ),
        (
            "Der Code kommt nicht.\n\nAm 02.03.2026 um 10:00 schrieb Alvys Support:\n"
            "> Bitte prüfen",
            "Der Code kommt nicht.",
            ["prüfen", "schrieb"],
        ),
        (
            "Kod SMS dalej nie dochodzi.\n\n"
            "W dniu 2 marca 2026 o 10:00 Alvys Support napisał(a):\n> Prosimy",
            "Kod SMS dalej nie dochodzi.",
            ["Prosimy", "napisał"],
        ),
        (
            "Guten Tag,\n\nmein Handy ist weg.\n\nMit freundlichen Grüßen\nJ. Hofmann\n"
            "Hofmann GmbH",
            "mein Handy ist weg.",
            ["Guten", "Hofmann", "Grüßen"],
        ),
        (
            "Dzień dobry,\ntelefon mi się zepsuł.\nPozdrawiam\nAnna Zielińska",
            "telefon mi się zepsuł.",
            ["Dzień", "Anna", "Pozdrawiam"],
        ),
        (
            "Hola,\nno me llega el SMS.\nSaludos cordiales,\nAndrés",
            "no me llega el SMS.",
            ["Hola", "Andrés"],
        ),
        (
            "code doesnt come\n\nSent from my iPhone",
            "code doesnt come",
            ["iPhone"],
        ),
    ],
)
def test_only_the_users_own_words_are_kept(text: str, kept: str, dropped: list[str]) -> None:
    cleaned = clean_ticket(text)
    assert kept in cleaned
    assert not [word for word in dropped if word in cleaned]


def test_a_short_reply_keeps_the_quote_it_answers() -> None:
    text = "any news??\n\nOn Tue, Bob wrote:\n> my phone was stolen and I cannot sign in"
    assert clean_ticket(text) == "any news?? my phone was stolen and I cannot sign in"


def test_a_greeting_word_that_starts_the_message_is_not_a_greeting_line() -> None:
    assert clean_ticket("hi lost my phone") == "lost my phone"
    assert clean_ticket("Hi, I lost my phone") == "I lost my phone"


def test_a_thanks_inside_the_message_is_kept() -> None:
    text = "Thanks,\nbut the code is still rejected and my clock is right."
    assert "Thanks" in clean_ticket(text)


def test_subject_and_body_make_one_text() -> None:
    assert ticket_text("No SMS", "Nothing arrives") == "No SMS\nNothing arrives"
    assert ticket_text("  ", "Nothing arrives") == "Nothing arrives"


def test_an_escaped_line_break_in_a_one_line_ticket_is_a_line_break() -> None:
    assert unescape_line("Hi,\\nno code\\n\\nBob\n") == "Hi,\nno code\n\nBob"
