"""When a code may be texted, and how often: the article's SMS rules as the service applies them.

The refusal reasons are read by agents and by end users alike, so they say what is wrong
with the number and what works instead, without telling anyone what to do to whom.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from supportdesk.api.sms import NumberFacts
from supportdesk.rules.phone import PhoneAnalysis, PhoneParseError, analyse_phone
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.store.ratelimit import Limit

LINE_WORDS: Final[dict[str, str]] = {
    "fixed_line": "a landline",
    "toll_free": "a toll-free number",
    "premium_rate": "a premium-rate number",
    "shared_cost": "a shared-cost number",
    "uan": "a company switchboard number",
    "voicemail": "a voicemail number",
    "unknown": "a number of unknown type",
}

FALLBACK: Final = "the authenticator app works without mobile coverage"


def analyse_on_file(e164: str | None) -> PhoneAnalysis | None:
    """The stored number's analysis, or None when what is stored cannot be read."""
    if not e164:
        return None
    try:
        return analyse_phone(e164)
    except PhoneParseError:
        return None


def facts(analysis: PhoneAnalysis) -> NumberFacts:
    """The analysis as it may cross the API: everything but the digits."""
    return NumberFacts(
        masked=analysis.masked,
        country_code=analysis.country_code,
        region=analysis.region,
        country=analysis.country,
        valid=analysis.valid,
        possible=analysis.possible,
        line_type=analysis.line_type,
        sms_capability=analysis.sms_capability,
        can_receive_sms=analysis.can_receive_sms,
        sms_country_supported=analysis.sms_country_supported,
    )


def refusal(analysis: PhoneAnalysis | None) -> str | None:
    """Why no code may be texted to this number, or None when one may.

    The country comes first, as in the article: SMS is offered in 27 countries only.
    Then the line: a landline or a service number cannot receive a text at all.
    """
    if analysis is None:
        return f"the number on file cannot be read, so no text can be sent; {FALLBACK}"
    if not analysis.valid:
        return (
            f"the number on file ({analysis.masked}) is not a valid number, so no text can "
            f"be sent; correct it, or use the authenticator app"
        )
    if not analysis.sms_country_supported:
        where = analysis.country or "the number's country"
        return (
            f"SMS codes are not sent to numbers in {where} ({analysis.masked}): it is not on "
            f"the list of 27 SMS countries; {FALLBACK}"
        )
    if not analysis.can_receive_sms:
        kind = LINE_WORDS.get(analysis.line_type, "a line that cannot take texts")
        return (
            f"the number on file ({analysis.masked}) is {kind}, which cannot receive texts; "
            f"register a mobile, or use the authenticator app"
        )
    return None


def send_limits(settings: ServiceSettings) -> list[Limit]:
    """What an SMS provider allows per user; the hourly cap first, so a refusal names the
    longer wait when both apply."""
    interval = settings.sms_min_interval_s
    return [
        Limit(settings.sms_per_hour, timedelta(hours=1), f"{settings.sms_per_hour} codes an hour"),
        Limit(1, timedelta(seconds=interval), f"one code every {interval} s"),
    ]


def compare_limits(settings: ServiceSettings) -> list[Limit]:
    """Comparisons confirm digits of the number on file: too many would spell it out."""
    count = settings.sms_compare_per_10min
    return [Limit(count, timedelta(minutes=10), f"{count} number checks per 10 min")]


def limit_words(settings: ServiceSettings) -> list[str]:
    """The limits as the desk lists them."""
    return [
        f"one code every {settings.sms_min_interval_s} s",
        f"{settings.sms_per_hour} per user an hour",
        f"each code lives {settings.sms_code_s // 60} min",
    ]
