"""What the SMS screen says: the number card, the article's checklist, verdicts, log states.

Plain functions of the wire models, so the wording is tested without running the desk.
Everything typed by someone else (labels, carrier reasons) is escaped for Rich markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rich.markup import escape

if TYPE_CHECKING:
    from supportdesk.api.sms import NumberCheck, NumberFacts, SmsDelivery, SmsFactorFacts

YES: Final = "[green]✓[/]"
NO: Final = "[red]✕[/]"
TODO: Final = "[dim]·[/]"
WAIT: Final = "[yellow]…[/]"

LINE_WORDS: Final[dict[str, str]] = {
    "mobile": "mobile",
    "fixed_line": "landline",
    "fixed_line_or_mobile": "landline or mobile",
    "voip": "VoIP",
    "toll_free": "toll-free",
    "premium_rate": "premium rate",
    "pager": "pager",
    "personal_number": "personal number",
    "shared_cost": "shared cost",
    "uan": "company switchboard",
    "voicemail": "voicemail",
    "unknown": "unknown type",
}
CAPABILITY_WORDS: Final[dict[str, str]] = {
    "yes": f"{YES} takes texts",
    "maybe": "may take texts",
    "no": f"{NO} cannot take texts",
}
STATUS_WORDS: Final[dict[str, str]] = {
    "queued": "queued",
    "sent": "sent, waiting",
    "delivered": "✓ delivered",
    "failed": "✕ failed",
    "undelivered": "✕ undelivered",
}


def place(number: NumberFacts) -> str:
    """Country and region code, or what is known when the number has no country."""
    if number.country and number.region:
        return f"{escape(number.country)} ({number.region})"
    return f"+{number.country_code}, no single country"


def number_card(factor: SmsFactorFacts | None, more: int = 0) -> str:
    """The analysis of the number on file: what it is, never what it is."""
    if factor is None:
        return f"{NO} No SMS method on file: nothing can be texted to this user."
    label = escape(factor.label)
    others = f" [dim](+{more} more SMS method{'s' if more > 1 else ''})[/]" if more else ""
    number = factor.number
    if number is None:
        return f"[b]On file[/b] {label}: {NO} the stored number cannot be read{others}"
    listed = (
        f"{YES} on the SMS list"
        if number.sms_country_supported
        else f"{NO} not on the SMS list of 27 countries"
    )
    valid = "" if number.valid else f" · {NO} not a valid number"
    line = LINE_WORDS.get(number.line_type, number.line_type)
    return (
        f"[b]On file[/b] {label} · [b]{escape(number.masked)}[/b] · {place(number)}{others}\n"
        f"{listed} · line: {line} · {CAPABILITY_WORDS[number.sms_capability]}{valid}"
    )


def verdict_line(check: NumberCheck, on_file: NumberFacts | None) -> str:
    """The stated number against the one on file, with what the agent can do about it."""
    stated = check.stated
    said = f"{escape(stated.masked)}, {place(stated)}"
    if check.verdict == "same":
        return f"{YES} Same number as on file."
    if check.verdict == "same_other_notation":
        return f"{YES} Same number as on file, written differently."
    if check.verdict == "differs_country_code":
        was = f" (on file +{on_file.country_code})" if on_file else ""
        return (
            f"{NO} Same digits under another country code: +{stated.country_code}{was}. "
            "The number was likely registered with the wrong country."
        )
    return (
        f"{NO} Not the number on file (stated {said}). Texts only go to the number on file: "
        "move the user to the authenticator app, or have them correct it."
    )


@dataclass(frozen=True)
class Progress:
    """How far the agent is down the article's "SMS code not received" steps."""

    factor: SmsFactorFacts | None
    check: NumberCheck | None
    latest: SmsDelivery | None
    wait_s: int
    switched: bool
    has_authenticator: bool


def step_country(p: Progress) -> str:
    number = p.factor.number if p.factor else None
    if number is None:
        return f"{NO} 1 Country on the SMS list: no readable number on file"
    if number.sms_country_supported:
        return f"{YES} 1 Country on the SMS list: {escape(number.country or '')}"
    return f"{NO} 1 Country on the SMS list: {place(number)} is not on it"


def step_number(p: Progress) -> str:
    if p.check is None:
        return f"{TODO} 2 Coverage and the right number: ask, then type the number they state"
    mark = YES if p.check.matches else NO
    return f"{mark} 2 Coverage and the right number: checked"


def step_resend(p: Progress) -> str:
    """The resend step, with the live countdown while the provider's limit holds."""
    wait = f" · [b]next code in {p.wait_s} s[/b]" if p.wait_s > 0 else ""
    if p.factor is not None and not p.factor.can_send:
        return f"{NO} 3 Resend the code: {escape(p.factor.refusal or 'not possible')}"
    latest = p.latest
    if latest is None:
        return f"{TODO} 3 Resend the code (r){wait}"
    mark = {"delivered": YES, "failed": NO, "undelivered": NO}.get(latest.status, WAIT)
    return f"{mark} 3 Resend the code (r): last one {delivery_status(latest)}{wait}"


def sms_reaches(factor: SmsFactorFacts | None) -> bool:
    """Whether a text can reach the number on file at all (the list, the line type)."""
    return factor is not None and factor.can_send


def step_switch(p: Progress) -> str:
    """The last step, worded for what is possible: a resend is offered only when one is."""
    if p.switched:
        backup = " (SMS stays as a backup)" if sms_reaches(p.factor) else ""
        return f"{YES} 4 Authenticator app: set up at the next sign-in{backup}"
    if p.has_authenticator:
        return f"{TODO} 4 Still nothing? The user has an authenticator app: choose it at sign-in"
    if not sms_reaches(p.factor):
        return f"{TODO} 4 No text can reach this number: switch to the authenticator app (t)"
    return f"{TODO} 4 Still nothing after a resend? Switch to the authenticator app (t)"


def delivery_status(delivery: SmsDelivery) -> str:
    """A log entry's state, with the carrier's reason and code when it failed."""
    words = STATUS_WORDS.get(delivery.status, delivery.status)
    if delivery.reason:
        code = f" ({escape(delivery.reason_code)})" if delivery.reason_code else ""
        return f"{words}: {escape(delivery.reason)}{code}"
    return words
