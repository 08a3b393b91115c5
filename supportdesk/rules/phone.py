"""Phone number analysis for the "SMS code not received" branch of the tree.

An agent needs four answers about a number before resending a code: is it a real number,
which country is it in, is that country on the article's SMS list, and can this kind of
line receive a text at all. Numbering-plan knowledge comes from ``phonenumbers``
(libphonenumber's metadata); this module only turns its answers into the desk's words.

Everything here is pure: no I/O, and errors are a single ``PhoneParseError`` carrying a
stable ``code`` (for an API response) and a short ``reason`` (for a person to read).
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

import phonenumbers

from supportdesk.rules.sms_countries import is_sms_country, sms_country_name

__all__ = [
    "Comparison",
    "ErrorCode",
    "LineType",
    "PhoneAnalysis",
    "PhoneParseError",
    "SmsCapability",
    "Verdict",
    "analyse_phone",
    "mask_e164",
    "region_name",
    "same_number",
]

LineType = Literal[
    "mobile",
    "fixed_line",
    "fixed_line_or_mobile",
    "voip",
    "toll_free",
    "premium_rate",
    "pager",
    "personal_number",
    "shared_cost",
    "uan",
    "voicemail",
    "unknown",
]
SmsCapability = Literal["yes", "maybe", "no"]
Verdict = Literal["same", "same_other_notation", "differs_country_code", "differs"]
ErrorCode = Literal[
    "empty",
    "not_a_number",
    "too_short",
    "too_long",
    "unknown_country_code",
    "needs_region",
    "unknown_region",
    "on_file_unreadable",
]

MASK_CHAR: Final = "•"

_REASONS: Final[dict[ErrorCode, str]] = {
    "empty": "empty input",
    "not_a_number": "not a number",
    "too_short": "too short",
    "too_long": "too long",
    "unknown_country_code": "unknown country code",
    "needs_region": "needs a country code or a region",
    "unknown_region": "unknown region",
    "on_file_unreadable": "the number on file cannot be read",
}

_PNT = phonenumbers.PhoneNumberType
_LINE_TYPES: Final[dict[int, LineType]] = {
    _PNT.MOBILE: "mobile",
    _PNT.FIXED_LINE: "fixed_line",
    _PNT.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    _PNT.VOIP: "voip",
    _PNT.TOLL_FREE: "toll_free",
    _PNT.PREMIUM_RATE: "premium_rate",
    _PNT.PAGER: "pager",
    _PNT.PERSONAL_NUMBER: "personal_number",
    _PNT.SHARED_COST: "shared_cost",
    _PNT.UAN: "uan",
    _PNT.VOICEMAIL: "voicemail",
    _PNT.UNKNOWN: "unknown",
}

# Whether a line of each type can take an SMS. Only "mobile" is a sure yes. The "maybe"
# types can but need not: fixed_line_or_mobile is what the plan says when it cannot tell
# (every US and Canadian number), VoIP and personal numbers depend on the provider or on
# where they forward, pagers take text from some gateways only. Landlines, service numbers
# (toll-free, premium, shared cost, UAN) and voicemail cannot.
_SMS_CAPABILITY: Final[dict[LineType, SmsCapability]] = {
    "mobile": "yes",
    "fixed_line_or_mobile": "maybe",
    "voip": "maybe",
    "personal_number": "maybe",
    "pager": "maybe",
    "fixed_line": "no",
    "toll_free": "no",
    "premium_rate": "no",
    "shared_cost": "no",
    "uan": "no",
    "voicemail": "no",
    "unknown": "no",
}

# Exit codes people type in front of a country code when they have no "+": 011 from
# North America, 0011 from Australia, 00 from most of the rest of the world.
_INTERNATIONAL_PREFIXES: Final = ("011", "0011", "00")
_PLUS_SIGNS: Final = frozenset("+\uff0b")
# The country code and the last 4 digits are what agents and users recognise a number
# by. Very short numbers (a few small territories) keep at least 3 digits hidden.
_VISIBLE_DIGITS: Final = 4
_MIN_HIDDEN_DIGITS: Final = 3


class PhoneParseError(ValueError):
    """The text cannot be read as a phone number.

    ``code`` is stable (for API error bodies and tests), ``reason`` is the short
    human phrase shown to the agent; ``str(error)`` is the reason.
    """

    def __init__(self, code: ErrorCode, reason: str | None = None) -> None:
        self.code: ErrorCode = code
        self.reason: str = reason if reason is not None else _REASONS[code]
        super().__init__(self.reason)


@dataclass(frozen=True, slots=True)
class PhoneAnalysis:
    """What the desk knows about one phone number.

    ``region`` is the ISO 3166 alpha-2 code the number belongs to (``None`` when the
    number cannot be placed, e.g. invalid numbers under a shared calling code, or
    non-geographic +800 numbers). ``country`` is the article's name for countries on its
    SMS list and libphonenumber's English name otherwise. ``sms_capability`` is "yes"
    for mobiles, "maybe" for lines that may take texts (see ``_SMS_CAPABILITY``) and
    "no" otherwise, always "no" for invalid numbers; ``can_receive_sms`` is True unless
    it is "no". ``sms_country_supported`` is independent of the line type: SMS works
    only when both it and ``can_receive_sms`` are True.
    """

    e164: str
    international: str
    country_code: int
    region: str | None
    country: str | None
    valid: bool
    possible: bool
    line_type: LineType
    sms_capability: SmsCapability
    can_receive_sms: bool
    sms_country_supported: bool
    masked: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """The verdict on a stated number against the one on file.

    Carries only the verdict and the analysis of the *stated* number, so showing it
    never discloses the number on file.
    """

    verdict: Verdict
    stated: PhoneAnalysis

    @property
    def matches(self) -> bool:
        """True when the stated number is the number on file, in any notation."""
        return self.verdict in ("same", "same_other_notation")


def analyse_phone(text: str, default_region: str | None = None) -> PhoneAnalysis:
    """Analyse a number typed in any common notation.

    Accepts E.164, international format, national format when ``default_region`` is
    given, separators (spaces, dashes, dots, brackets) and an exit code instead of the
    "+" (00, 011, 0011), with or without a region. Raises ``PhoneParseError`` when the
    text is not a phone number at all; a number that parses but is not assigned is
    returned with ``valid=False`` so the agent can see what was typed.
    """
    return _analyse(_parse(text, _normalise_region(default_region)))


@lru_cache(maxsize=4096)
def mask_e164(e164: str) -> str:
    """Mask a stored number for display: country code and last 4 digits stay visible.

    The international format's grouping is kept (``+44 •• •••• 0958``); numbers of
    fewer than 7 digits keep 3 digits hidden whatever their length.

    Meant for numbers on file, so it never raises: text that does not parse is masked
    digit by digit instead of being shown. Kept per number: a profile masks each phone it
    shows, and parsing one costs about 25 us, a tenth of the profile's own time.
    """
    try:
        number = phonenumbers.parse(e164 if _has_plus(e164) else "+" + e164, None)
    except phonenumbers.NumberParseException:
        return _mask_digits(e164)
    number.extension = None
    return _mask(number)


def same_number(stated: str, on_file: str, default_region: str | None = None) -> Comparison:
    """Compare the number a user states with the number on file, without revealing it.

    "same": the same characters once separators are dropped; "same_other_notation": a
    different way of writing the same E.164 number (national format, 00 prefix, ...);
    "differs_country_code": same national number under another country code (a user
    who gave the wrong country at enrolment); "differs": anything else. Raises
    ``PhoneParseError`` for an unreadable stated number, and with code
    "on_file_unreadable" (no digits in the message) when the stored number is unreadable.
    """
    region = _normalise_region(default_region)
    stated_number = _parse(stated, region)
    try:
        file_number = _parse(on_file, region)
    except PhoneParseError:
        raise PhoneParseError("on_file_unreadable") from None
    analysis = _analyse(stated_number)
    verdict: Verdict
    if _e164(stated_number) == _e164(file_number):
        same_text = _compact(stated) == _compact(on_file)
        verdict = "same" if same_text else "same_other_notation"
    elif phonenumbers.national_significant_number(
        stated_number
    ) == phonenumbers.national_significant_number(file_number):
        verdict = "differs_country_code"
    else:
        verdict = "differs"
    return Comparison(verdict=verdict, stated=analysis)


def region_name(region: str | None) -> str | None:
    """A region's name: the article's for SMS-list countries, else libphonenumber's.

    ``None`` for a code libphonenumber does not know (e.g. "UK", which is "GB").
    """
    code = (region or "").strip().upper()
    article_name = sms_country_name(code)
    if article_name is not None or not code:
        return article_name
    example = phonenumbers.example_number(code)
    return None if example is None else _country_name(example, code)


# --- parsing ---------------------------------------------------------------------------


def _normalise_region(region: str | None) -> str | None:
    """Upper-case a region code; reject codes libphonenumber does not know (e.g. "UK")."""
    if region is None or not region.strip():
        return None
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise PhoneParseError("unknown_region", f"unknown region {region.strip()!r}")
    return code


def _has_plus(text: str) -> bool:
    """Whether a plus sign comes before the first digit (an international number)."""
    for char in text:
        if char.isdecimal():
            return False
        if char in _PLUS_SIGNS:
            return True
    return False


def _digits(text: str) -> str:
    """The decimal digits of ``text`` as ASCII (also reads full-width or Arabic digits)."""
    return "".join(str(int(char)) for char in text if char.isdecimal())


def _without_leading_digits(text: str, count: int) -> str:
    """``text`` with everything up to its first ``count`` digits replaced by a "+"."""
    seen = 0
    for index, char in enumerate(text):
        if char.isdecimal():
            seen += 1
            if seen == count:
                return "+" + text[index + 1 :]
    return "+"


def _candidates(text: str, region: str | None) -> list[tuple[str, str | None]]:
    """The readings of ``text`` worth trying, the most literal one first.

    libphonenumber already strips the default region's own exit code; a number typed
    with another exit code (011 in the UK, 00 in the US) or with one and no region at
    all is also tried as "+" followed by what comes after the exit code.
    """
    readings: list[tuple[str, str | None]] = []
    if region is not None or _has_plus(text):
        readings.append((text, region))
    if not _has_plus(text):
        digits = _digits(text)
        for prefix in _INTERNATIONAL_PREFIXES:
            if digits.startswith(prefix) and len(digits) > len(prefix):
                readings.append((_without_leading_digits(text, len(prefix)), None))
    if not readings:
        raise PhoneParseError("needs_region")
    return readings


def _parse_reading(text: str, region: str | None) -> phonenumbers.PhoneNumber:
    """Parse one reading, turning libphonenumber's failures into ``PhoneParseError``."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise _error_for(exc, text) from None
    possibility = phonenumbers.is_possible_number_with_reason(number)
    result = phonenumbers.ValidationResult
    if possibility == result.TOO_SHORT:
        raise PhoneParseError("too_short")
    if possibility == result.TOO_LONG:
        raise PhoneParseError("too_long")
    if possibility == result.INVALID_COUNTRY_CODE:
        raise PhoneParseError("unknown_country_code")
    number.extension = None  # an extension cannot receive an SMS; keep it out of e164/mask
    return number


def _error_for(exc: phonenumbers.NumberParseException, text: str) -> PhoneParseError:
    """Map libphonenumber's error types to the desk's reasons."""
    kind = exc.error_type
    if kind == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        return PhoneParseError("unknown_country_code" if _has_plus(text) else "needs_region")
    if kind in (
        phonenumbers.NumberParseException.TOO_SHORT_NSN,
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD,
    ):
        return PhoneParseError("too_short")
    if kind == phonenumbers.NumberParseException.TOO_LONG:
        return PhoneParseError("too_long")
    # libphonenumber calls one or two bare digits "not a number"; to a person it is short.
    digits = _digits(text)
    if digits and len(digits) <= 2 and not any(char.isalpha() for char in text):
        return PhoneParseError("too_short")
    return PhoneParseError("not_a_number")


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber:
    """Parse ``text``, preferring the reading that gives a valid, then a possible, number."""
    if not text.strip():
        raise PhoneParseError("empty")
    if not _digits(text):
        raise PhoneParseError("not_a_number")
    best: phonenumbers.PhoneNumber | None = None
    best_score = -1
    first_error: PhoneParseError | None = None
    for reading, reading_region in _candidates(text, region):
        try:
            number = _parse_reading(reading, reading_region)
        except PhoneParseError as error:
            first_error = first_error or error
            continue
        score = 2 if phonenumbers.is_valid_number(number) else int(_possible(number))
        if score > best_score:
            best, best_score = number, score
        if score == 2:
            break
    if best is None:
        assert first_error is not None  # every reading failed, so one error was kept
        raise first_error
    return best


# --- describing ------------------------------------------------------------------------


def _analyse(number: phonenumbers.PhoneNumber) -> PhoneAnalysis:
    valid = phonenumbers.is_valid_number(number)
    region = _region(number)
    line_type = _LINE_TYPES.get(phonenumbers.number_type(number), "unknown")
    capability: SmsCapability = _SMS_CAPABILITY[line_type] if valid else "no"
    return PhoneAnalysis(
        e164=_e164(number),
        international=phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ),
        country_code=number.country_code or 0,
        region=region,
        country=_country_name(number, region),
        valid=valid,
        possible=_possible(number),
        line_type=line_type,
        sms_capability=capability,
        can_receive_sms=capability != "no",
        sms_country_supported=is_sms_country(region),
        masked=_mask(number),
    )


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _possible(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.is_possible_number(number)


def _region(number: phonenumbers.PhoneNumber) -> str | None:
    """The number's ISO region; ``None`` for unplaceable or non-geographic numbers.

    Under a shared calling code (+1, +44, +7) libphonenumber picks the region by the
    number's own digits: +1 876 is Jamaica, +1 809 the Dominican Republic, +44 7624
    the Isle of Man.
    """
    region = phonenumbers.region_code_for_number(number)
    if region is None or region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        return None
    return region


def _country_name(number: phonenumbers.PhoneNumber, region: str | None) -> str | None:
    """The article's name for SMS countries, else libphonenumber's English name."""
    if region is None:
        return None
    article_name = sms_country_name(region)
    if article_name is not None:
        return article_name
    # The geocoder's data is large (a quarter-second import): load it only when needed.
    from phonenumbers import geocoder

    name = geocoder.country_name_for_number(number, "en")
    if not name:
        # Numbers valid in several regions of a shared code (e.g. +1 toll-free) get no
        # name from the geocoder; name the region libphonenumber assigned instead.
        example = phonenumbers.example_number(region)
        if example is not None:
            name = geocoder.country_name_for_number(example, "en")
    return _english_title(name) if name else None


_SMALL_WORDS = frozenset({"of", "and", "the", "da", "de", "du", "la"})


def _english_title(name: str) -> str:
    """libphonenumber title-cases every word ("Isle Of Man"): small words go back to lower
    case inside a name ("Isle of Man", "Bosnia and Herzegovina")."""
    words = name.split(" ")
    return " ".join(
        w.lower() if n and w.lower() in _SMALL_WORDS else w for n, w in enumerate(words)
    )


# --- masking ---------------------------------------------------------------------------


def _visible(digit_count: int) -> int:
    return max(0, min(_VISIBLE_DIGITS, digit_count - _MIN_HIDDEN_DIGITS))


def _mask(number: phonenumbers.PhoneNumber) -> str:
    """International format with all national digits but the last few replaced."""
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    prefix = f"+{number.country_code}"
    if not formatted.startswith(prefix):
        return _mask_digits(formatted)
    body = formatted[len(prefix) :]
    digit_count = sum(char.isdecimal() for char in body)
    return prefix + _mask_tail(body, digit_count - _visible(digit_count))


def _mask_digits(text: str) -> str:
    """Fallback mask for text that is not a phone number: only the last digits survive."""
    digit_count = sum(char.isdecimal() for char in text)
    return _mask_tail(text, digit_count - _visible(digit_count))


def _mask_tail(text: str, hidden: int) -> str:
    """Replace the first ``hidden`` digits of ``text`` with the mask character."""
    out: list[str] = []
    for char in text:
        if char.isdecimal() and hidden > 0:
            out.append(MASK_CHAR)
            hidden -= 1
        else:
            out.append(char)
    return "".join(out)


def _compact(text: str) -> str:
    """Text without separators: a leading "+" (if any) and the digits."""
    return ("+" if _has_plus(text) else "") + _digits(text)
