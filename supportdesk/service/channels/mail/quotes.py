"""Cut an e-mail body down to what the sender wrote this time.

Mail clients append the message being answered ("On Mon, Jane wrote:" and "> " lines,
Outlook's "-----Original Message-----" or "From: / Sent:" block), a signature after "-- ",
a "Sent from my iPhone" line and sometimes a legal disclaimer. An agent needs none of it,
and the triage classifier guesses better without it. The rules are deliberately plain
line patterns in the languages the desk sees most (English, Spanish, German, Polish,
French); when they would leave nothing, the text is kept rather than lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

_OPENERS: Final = re.compile(r"^(on|el|am|w dniu|dnia|le|op|il)\b", re.IGNORECASE)
_ATTRIBUTIONS: Final = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^on\b.{3,}\bwrote\s*:?$",
        r"^el\b.{3,}\bescribi[óo]\s*:?$",
        r"^am\b.{3,}\bschrieb\b.*:$",
        r"^(w dniu|dnia)\b.{3,}\b(napisa[łl](\(a\)|a)?|pisze)\s*:?$",
        r"^le\b.{3,}\ba [ée]crit\s*:?$",
    )
)
_NAME_WROTE: Final = re.compile(
    r"^.{1,120}<[^<>@\s]+@[^<>\s]+>\)?\s*"
    r"(wrote|escribi[óo]|schrieb|napisa[łl](\(a\)|a)?|pisze|a [ée]crit)\s*:$",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE: Final = re.compile(
    r"^-{3,}\s*(original message|mensaje original|urspr[üu]ngliche nachricht|"
    r"message d'origine|wiadomo[śs][ćc] oryginalna|oryginalna wiadomo[śs][ćc])\s*-{3,}$",
    re.IGNORECASE,
)
_HEADER_FROM: Final = re.compile(r"^\*?(from|de|von|od|van)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_DATE: Final = re.compile(
    r"^\*?(sent|date|enviado|fecha|gesendet|datum|envoy[ée]|wys[łl]ano|data)\s*:",
    re.IGNORECASE,
)
_MOBILE: Final = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^sent from my \S+",
        r"^sent from (outlook|mail|yahoo mail|gmail|samsung)\b",
        r"^get outlook for (ios|android)\b",
        r"^enviado desde mi \S+",
        r"^enviado desde (outlook|correo|yahoo)\b",
        r"^von meinem \S+( \S+)? gesendet",
        r"^gesendet von (meinem )?\S+",
        r"^envoy[ée] (de|depuis) mon \S+",
        r"^wys[łl]ane z (mojego|mojej|aplikacji) \S+",
        r"^wys[łl]ano z (mojego |mojej )?\S+",
    )
)
_DISCLAIMERS: Final = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^(confidential(ity)?( notice)?|disclaimer|important notice)\b",
        r"^this (e-?mail|message|communication)\b.{0,120}"
        r"\b(confidential|intended (solely |only )?for)",
        r"^(diese|die) (e-?mail|nachricht)\b.{0,120}\bvertraulich",
        r"^este (correo|mensaje)\b.{0,120}\bconfidencial",
        r"^ce (message|courriel|mail)\b.{0,120}\bconfidenti",
        r"^(ta|niniejsza) wiadomo[śs][ćc]\b.{0,120}\bpoufn",
    )
)
_SIGNATURE: Final = re.compile(r"^--\s?$")
_SEPARATOR: Final = re.compile(r"^[_\-=*~]{5,}$")


def strip_reply(text: str) -> str:
    """The new part of an e-mail body: quotes, signatures and disclaimers cut away."""
    lines = _normalise(text).split("\n")
    cut = _first_cut(lines)
    kept = [line for line in _without_attributions(lines[:cut]) if not _is_quoted(line)]
    kept = _drop_disclaimer(kept)
    while kept and (not kept[-1].strip() or _SEPARATOR.match(kept[-1].strip())):
        kept.pop()
    result = _tidy(kept)
    if result:
        return result
    unquoted = _tidy([line for line in lines if not _is_quoted(line)])
    return unquoted or _tidy(lines)


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _first_cut(lines: Sequence[str]) -> int:
    """The index of the first line that starts what is not the sender's new text."""
    seen_text = False
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if _SIGNATURE.match(raw):
            return index
        if _ORIGINAL_MESSAGE.match(line) or _is_header_block(lines, index):
            return index
        if _attribution_span(lines, index) and not _interleaved(lines, index):
            return index
        if seen_text and any(p.match(line) for p in _MOBILE):
            return index
        if not _is_quoted(line):
            seen_text = True
    return len(lines)


def _attribution_span(lines: Sequence[str], index: int) -> int:
    """How many lines an "On <date>, <name> wrote:" line takes here (0: it is not one).

    Clients wrap long attributions, so up to three lines are joined; the first must carry
    a date or time (a digit), which the sender's own sentences starting "On"/"El"/"Le"
    rarely do together with ending in "wrote:".
    """
    first = lines[index].strip()
    if _NAME_WROTE.match(first):
        return 1
    if not _OPENERS.match(first) or not any(ch.isdigit() for ch in first):
        return 0
    joined = first
    for span in range(1, 4):
        if any(p.match(joined) for p in _ATTRIBUTIONS):
            return span
        following = index + span
        if following >= len(lines) or _OPENERS.match(lines[following].strip()):
            return 0
        joined = f"{joined} {lines[following].strip()}"
    return 0


def _without_attributions(lines: Sequence[str]) -> list[str]:
    """The lines minus attribution lines left above quotes that had answers between them."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        span = _attribution_span(lines, index) if lines[index].strip() else 0
        if span:
            index += span
            continue
        kept.append(lines[index])
        index += 1
    return kept


def _interleaved(lines: Sequence[str], index: int) -> bool:
    """True when new text is written between quoted lines below an attribution."""
    after_quote = False
    for raw in lines[index + 1 :]:
        if not raw.strip():
            continue
        if _is_quoted(raw):
            after_quote = True
        elif after_quote:
            return True
    return False


def _is_header_block(lines: Sequence[str], index: int) -> bool:
    """Outlook's "From: ..." followed within a few lines by "Sent: ..." or "Date: ..."."""
    if not _HEADER_FROM.match(lines[index].strip()):
        return False
    following = [line.strip() for line in lines[index + 1 : index + 5]]
    return any(_HEADER_DATE.match(line) for line in following)


def _drop_disclaimer(lines: list[str]) -> list[str]:
    """Cut a trailing legal paragraph (it starts a paragraph after some real text)."""
    seen_text = False
    for index, raw in enumerate(lines):
        line = raw.strip()
        starts_paragraph = index == 0 or not lines[index - 1].strip()
        if seen_text and starts_paragraph and any(p.match(line) for p in _DISCLAIMERS):
            return lines[:index]
        if line:
            seen_text = True
    return lines


def _tidy(lines: Sequence[str]) -> str:
    """Trailing spaces and runs of blank lines gone, no blank lines at either end."""
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
