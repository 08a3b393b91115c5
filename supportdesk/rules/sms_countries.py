"""The countries where SMS verification is offered, exactly as the help article lists them.

The article's FAQ ("Which countries support SMS verification?") names 27 countries. That
list is a product rule: an SMS factor for a number outside it cannot work, however valid
the number is. Codes are ISO 3166-1 alpha-2, which is what ``phonenumbers`` reports as a
number's region; the names are the article's own wording, so the desk shows users the
same words the article does (e.g. "Turkey", "North Macedonia").
"""

from collections.abc import Mapping
from types import MappingProxyType

SMS_COUNTRY_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "AF": "Afghanistan",
        "AU": "Australia",
        "BA": "Bosnia and Herzegovina",
        "BG": "Bulgaria",
        "CA": "Canada",
        "CO": "Colombia",
        "EG": "Egypt",
        "DE": "Germany",
        "IN": "India",
        "IE": "Ireland",
        "JM": "Jamaica",
        "LT": "Lithuania",
        "MX": "Mexico",
        "MD": "Moldova",
        "MA": "Morocco",
        "NL": "Netherlands",
        "MK": "North Macedonia",
        "NO": "Norway",
        "PH": "Philippines",
        "PL": "Poland",
        "RS": "Serbia",
        "ES": "Spain",
        "TR": "Turkey",
        "UA": "Ukraine",
        "GB": "United Kingdom",
        "US": "United States",
        "UZ": "Uzbekistan",
    }
)
"""Region code -> the country's name as the article spells it (article order)."""

SMS_COUNTRIES: frozenset[str] = frozenset(SMS_COUNTRY_NAMES)
"""The 27 region codes on the article's SMS list."""


def is_sms_country(region: str | None) -> bool:
    """Whether SMS verification is offered for numbers of ``region``.

    Case-insensitive, and ``None`` (a number whose region is unknown) is never on the
    list, so callers can pass a phone analysis' region straight through.
    """
    return region is not None and region.strip().upper() in SMS_COUNTRIES


def sms_country_name(region: str | None) -> str | None:
    """The article's name for ``region`` when it is on the SMS list, else ``None``."""
    if region is None:
        return None
    return SMS_COUNTRY_NAMES.get(region.strip().upper())
