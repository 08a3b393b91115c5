"""Ticket text as the classifier should read it: the user's own words, nothing else.

An e-mailed ticket carries a greeting, a signature (name, job title, company, a
"sent from my phone" line, a legal notice) and often the conversation it answers,
quoted. None of that says which branch the ticket belongs to, and a company name
in a signature is exactly the kind of word a small model learns by heart. Pure
string work, no third-party imports: it runs on the UI thread.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_ticket", "ticket_text", "unescape_line"]

_MIN_OWN_WORDS = 4
"""Fewer words than this above a quote ("any news?") and the quote is kept after all."""

_SIGNATURE_BLOCK_MAX_LINES = 6
"""A sign-off this close to the end starts the signature; earlier, it is the message."""

_QUOTE_HEADERS = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:original\s+message|forwarded\s+message|mensaje\s+original|
                   ursprüngliche\s+nachricht|wiadomość\s+oryginalna|oryginalna\s+wiadomość|
                   weitergeleitete\s+nachricht|mensaje\s+reenviado)\s*-{2,}
      | on\s.{0,120}\bwrote:
      | el\s.{0,120}\bescribi[oó]:
      | am\s.{0,120}\bschrieb.{0,80}:
      | (?:w\s+dniu|dnia)\s.{0,120}\bnapisa(?:ł|l)(?:\(a\)|a)?:
      | (?:from|de|von|od)\s*:\s.+
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
"""Lines that start the quoted conversation below a reply, in the desk's four languages."""

_SIGN_OFFS = re.compile(
    r"""^\s*(?:
        regards|best\s+regards|kind\s+regards|warm\s+regards|best|thanks|thank\s+you|
        thanks\s+in\s+advance|many\s+thanks|cheers|sincerely|yours\s+sincerely|respectfully|
        saludos|un\s+saludo|saludos\s+cordiales|atentamente|gracias|muchas\s+gracias|
        cordialmente|mit\s+freundlichen\s+grüßen|freundliche\s+grüße|viele\s+grüße|
        beste\s+grüße|liebe\s+grüße|grüße|gruß|mfg|danke|vielen\s+dank|danke\s+und\s+gruß|
        pozdrawiam|pozdrawiam\s+serdecznie|z\s+poważaniem|dziękuję|dzięki|
        met\s+vriendelijke\s+groet|groeten|obrigad[oa]|cumprimentos
    )\s*[,.!]?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

_SIGNATURE_STARTS = re.compile(
    r"""^\s*(?:
        --\s*
      | _{5,}
      | sent\s+from\s+my\s.+
      | get\s+outlook\s+for\s.+
      | enviado\s+desde\s+mi\s.+
      | von\s+meinem\s.+gesendet
      | gesendet\s+von\s+meinem\s.+
      | wysłane\s+z\s+(?:mojego\s+)?.+
      | (?:confidentiality\s+notice|disclaimer|this\s+e-?mail\s+(?:and\s+any|is\s+confidential)).*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
"""Lines after which nothing is the user's message, wherever they stand."""

_GREETING_LINE = re.compile(
    r"""^\s*(?:
        hi|hello|hey|hiya|dear|good\s+(?:morning|afternoon|evening)|morning|greetings|
        hola|buenas|buenos\s+días|buenas\s+tardes|estimad[oa]s?|
        hallo|guten\s+(?:tag|morgen|abend)|moin|servus|sehr\s+geehrte.*|liebe[rs]?|
        dzień\s+dobry|dzien\s+dobry|witam|witajcie|cześć|czesc|hej
    )(?:(?:\s+[\w'.-]+){0,3}\s*[,:!]|(?:\s+[\w'.-]+)?\s*\.?)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
"""A line that is only a greeting ("Hello Alvys support,", "Guten Tag,")."""

_LEADING_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|hola|hallo|witam|hej|cześć|dzień\s+dobry|buenas)\b[\s,!.:-]*",
    re.IGNORECASE,
)

_SUBJECT_PREFIX = re.compile(r"^\s*(?:subject|asunto|betreff|temat)\s*:\s*", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|odp|rv)\s*:\s*)+", re.IGNORECASE)
_LETTERS = re.compile(r"\w", re.UNICODE)


def ticket_text(subject: str, text: str) -> str:
    """One text from a ticket's subject and body: how the desk should call ``classify``."""
    subject = subject.strip()
    return f"{subject}\n{text}" if subject else text


def unescape_line(line: str) -> str:
    r"""A one-line ticket from a file or pipe: a literal ``\n`` stands for a line break."""
    return line.rstrip("\r\n").replace("\\n", "\n")


def clean_ticket(text: str) -> str:
    """The user's own words from a ticket: no quoted reply, signature or greeting."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    own, quoted = _split_quote(lines)
    own = _drop_signature(own)
    own = _drop_greetings(own)
    words = _words(own)
    if len(words) < _MIN_OWN_WORDS and quoted:
        # "Any news?" above a quote: the quote is all there is to go on.
        own = [*own, *_drop_signature(quoted)]
    return " ".join(line.strip() for line in own if line.strip())


def _split_quote(lines: list[str]) -> tuple[list[str], list[str]]:
    """The reply above the quoted conversation, and the quoted lines (markers removed)."""
    for index, line in enumerate(lines):
        if index > 0 and _QUOTE_HEADERS.match(line):
            return _unquoted(lines[:index]), _strip_markers(lines[index + 1 :])
    own = [line for line in lines if not line.lstrip().startswith(">")]
    quoted = [line for line in lines if line.lstrip().startswith(">")]
    return own, _strip_markers(quoted)


def _unquoted(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.lstrip().startswith(">")]


def _strip_markers(lines: list[str]) -> list[str]:
    return [re.sub(r"^\s*(?:>\s?)+", "", line) for line in lines]


def _drop_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if index > 0 and _SIGNATURE_STARTS.match(line):
            lines = lines[:index]
            break
    content = [i for i, line in enumerate(lines) if line.strip()]
    for index in content:
        remaining = sum(1 for i in content if i > index)
        if (
            index != content[0]
            and remaining <= _SIGNATURE_BLOCK_MAX_LINES
            and _SIGN_OFFS.match(lines[index])
        ):
            return lines[:index]
    return lines


def _drop_greetings(lines: list[str]) -> list[str]:
    """Greeting lines among the first few, and a greeting word opening the first line."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        if index < 4 and _GREETING_LINE.match(line):
            continue
        kept.append(line)
    for index, line in enumerate(kept):
        if line.strip():
            line = _REPLY_PREFIX.sub("", _SUBJECT_PREFIX.sub("", line))
            kept[index] = _LEADING_GREETING.sub("", line)
            break
    return kept


def _words(lines: list[str]) -> list[str]:
    return [w for line in lines for w in line.split() if _LETTERS.search(w)]
