"""Phone analysis as an agent meets it on an "SMS code not received" ticket."""

import dataclasses
import re

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportdesk.rules.phone import (
    PhoneAnalysis,
    PhoneParseError,
    analyse_phone,
    mask_e164,
    same_number,
)
from supportdesk.rules.sms_countries import (
    SMS_COUNTRIES,
    SMS_COUNTRY_NAMES,
    is_sms_country,
    sms_country_name,
)

# The FAQ answer of the help article, word for word.
ARTICLE_SMS_ANSWER = (
    "SMS-based MFA is available in the following countries: Afghanistan, Australia, "
    "Bosnia and Herzegovina, Bulgaria, Canada, Colombia, Egypt, Germany, India, Ireland, "
    "Jamaica, Lithuania, Mexico, Moldova, Morocco, Netherlands, North Macedonia, Norway, "
    "Philippines, Poland, Serbia, Spain, Turkey, Ukraine, United Kingdom, United States, "
    "and Uzbekistan."
)


def _article_country_names() -> list[str]:
    listed = ARTICLE_SMS_ANSWER.split(": ", 1)[1].rstrip(".")
    return [name.removeprefix("and ").strip() for name in listed.split(", ")]


# --- the article's country list -------------------------------------------------------


def test_sms_list_is_exactly_the_articles_27_countries() -> None:
    names = _article_country_names()
    assert len(names) == 27
    assert len(SMS_COUNTRIES) == 27
    assert sorted(SMS_COUNTRY_NAMES.values()) == sorted(names)
    assert set(SMS_COUNTRY_NAMES) == SMS_COUNTRIES


def test_sms_list_codes_are_regions_phonenumbers_knows() -> None:
    assert phonenumbers.SUPPORTED_REGIONS >= SMS_COUNTRIES


@pytest.mark.parametrize("region", sorted(SMS_COUNTRIES))
def test_every_listed_country_is_recognised_from_a_real_number(region: str) -> None:
    example = phonenumbers.example_number(region)
    assert example is not None
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    analysis = analyse_phone(e164)
    assert analysis.region == region
    assert analysis.country == SMS_COUNTRY_NAMES[region]
    assert analysis.sms_country_supported


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("GB", True),
        ("gb", True),
        (" us ", True),
        ("MK", True),
        ("TR", True),
        ("FR", False),
        ("DO", False),
        ("IM", False),
        ("JE", False),
        ("RU", False),
        ("", False),
        (None, False),
    ],
)
def test_is_sms_country(region: str | None, expected: bool) -> None:
    assert is_sms_country(region) is expected


def test_country_names_use_the_articles_wording() -> None:
    assert sms_country_name("tr") == "Turkey"
    assert sms_country_name("MK") == "North Macedonia"
    assert sms_country_name("FR") is None
    assert sms_country_name(None) is None


# --- real numbers from many regions, in many notations -------------------------------

# (typed text, default region, E.164, region, line type, on the article's SMS list)
REAL_NUMBERS = [
    ("+93 70 123 4567", None, "+93701234567", "AF", "mobile", True),
    ("0412 345 678", "AU", "+61412345678", "AU", "mobile", True),
    ("(02) 1234 5678", "AU", "+61212345678", "AU", "fixed_line", True),
    ("+387 61 123 456", None, "+38761123456", "BA", "mobile", True),
    ("00359 2 123 456", None, "+3592123456", "BG", "fixed_line", True),
    ("+1 (506) 234-5678", None, "+15062345678", "CA", "fixed_line_or_mobile", True),
    ("+57 321 123 4567", None, "+573211234567", "CO", "mobile", True),
    ("010 0123 4567", "EG", "+201001234567", "EG", "mobile", True),
    ("01512 3456789", "DE", "+4915123456789", "DE", "mobile", True),
    ("+91 81234 56789", None, "+918123456789", "IN", "mobile", True),
    ("085 012 3456", "IE", "+353850123456", "IE", "mobile", True),
    ("+1 876 210 1234", None, "+18762101234", "JM", "mobile", True),
    ("+370 612 34567", None, "+37061234567", "LT", "mobile", True),
    ("+52 222 123 4567", None, "+522221234567", "MX", "fixed_line_or_mobile", True),
    ("+373 621 12 345", None, "+37362112345", "MD", "mobile", True),
    ("06 50 12 34 56", "MA", "+212650123456", "MA", "mobile", True),
    ("06-12345678", "NL", "+31612345678", "NL", "mobile", True),
    ("+389 72 345 678", None, "+38972345678", "MK", "mobile", True),
    ("40 61 23 45", "NO", "+4740612345", "NO", "mobile", True),
    ("0905 123 4567", "PH", "+639051234567", "PH", "mobile", True),
    ("+48 512-345-678", None, "+48512345678", "PL", "mobile", True),
    ("+381601234567", None, "+381601234567", "RS", "mobile", True),
    ("612.34.56.78", "ES", "+34612345678", "ES", "mobile", True),
    ("0501 234 56 78", "TR", "+905012345678", "TR", "mobile", True),
    ("+380 50 123 4567", None, "+380501234567", "UA", "mobile", True),
    ("07400 123456", "GB", "+447400123456", "GB", "mobile", True),
    ("(201) 555-0123", "US", "+12015550123", "US", "fixed_line_or_mobile", True),
    ("+998 91 234 56 78", None, "+998912345678", "UZ", "mobile", True),
    ("06 12 34 56 78", "FR", "+33612345678", "FR", "mobile", False),
    ("+39 312 345 6789", None, "+393123456789", "IT", "mobile", False),
    ("02 1234 5678", "IT", "+390212345678", "IT", "fixed_line", False),
    ("+55 11 96123-4567", None, "+5511961234567", "BR", "mobile", False),
    ("090-1234-5678", "JP", "+819012345678", "JP", "mobile", False),
    ("+86 131 2345 6789", None, "+8613123456789", "CN", "mobile", False),
    ("071 123 4567", "ZA", "+27711234567", "ZA", "mobile", False),
    ("+234 802 123 4567", None, "+2348021234567", "NG", "mobile", False),
    ("0712 123456", "KE", "+254712123456", "KE", "mobile", False),
    ("+54 9 11 2345-6789", None, "+5491123456789", "AR", "mobile", False),
    ("021 123 4567", "NZ", "+64211234567", "NZ", "mobile", False),
    ("+65 8123 4567", None, "+6581234567", "SG", "mobile", False),
    ("050 123 4567", "AE", "+971501234567", "AE", "mobile", False),
    ("8 (912) 345-67-89", "RU", "+79123456789", "RU", "mobile", False),
    ("070-123 45 67", "SE", "+46701234567", "SE", "mobile", False),
    ("+41 78 123 45 67", None, "+41781234567", "CH", "mobile", False),
    ("912 345 678", "PT", "+351912345678", "PT", "mobile", False),
    ("010-2000-0000", "KR", "+821020000000", "KR", "mobile", False),
    ("+972 50-234-5678", None, "+972502345678", "IL", "mobile", False),
]


@pytest.mark.parametrize(
    ("text", "default_region", "e164", "region", "line_type", "on_list"), REAL_NUMBERS
)
def test_real_numbers(
    text: str,
    default_region: str | None,
    e164: str,
    region: str,
    line_type: str,
    on_list: bool,
) -> None:
    analysis = analyse_phone(text, default_region)
    assert analysis.e164 == e164
    assert analysis.region == region
    assert analysis.valid
    assert analysis.possible
    assert analysis.line_type == line_type
    assert analysis.sms_country_supported is on_list
    assert analysis.country  # every one of these countries has a name


def test_table_covers_at_least_30_regions() -> None:
    assert len({row[3] for row in REAL_NUMBERS}) >= 30


@pytest.mark.parametrize(
    ("text", "region", "country", "on_list"),
    [
        ("+1 876 210 1234", "JM", "Jamaica", True),
        ("+1 809 234 5678", "DO", "Dominican Republic", False),
        ("+1 416 555 0123", "CA", "Canada", True),
        ("+1 212 555 0123", "US", "United States", True),
        ("+44 7624 123456", "IM", "Isle of Man", False),
        ("+44 1624 756789", "IM", "Isle of Man", False),
        ("+44 7797 712345", "JE", "Jersey", False),
        ("+44 1534 456789", "JE", "Jersey", False),
        ("+44 7781 123456", "GG", "Guernsey", False),
        ("+44 7400 123456", "GB", "United Kingdom", True),
    ],
)
def test_shared_calling_codes_are_told_apart_by_the_number(
    text: str, region: str, country: str, on_list: bool
) -> None:
    analysis = analyse_phone(text)
    assert analysis.region == region
    assert analysis.country is not None
    assert analysis.country.casefold() == country.casefold()
    assert analysis.sms_country_supported is on_list


def test_national_notation_under_gb_still_finds_jersey() -> None:
    # A Jersey user reads out "07797 712345"; the agent picks GB. Jersey is not on the list.
    analysis = analyse_phone("07797 712345", "GB")
    assert analysis.region == "JE"
    assert not analysis.sms_country_supported


# --- line types and whether the line can take a text ------------------------------------

# (text, line type, sms capability)
LINE_TYPES = [
    ("+44 20 7946 0958", "fixed_line", "no"),
    ("020 7946 0958", "fixed_line", "no"),
    ("+49 30 123456", "fixed_line", "no"),
    ("+49 89 1234567", "fixed_line", "no"),
    ("+90 212 345 67 89", "fixed_line", "no"),
    ("+1 876 927 1234", "fixed_line", "no"),
    ("+1 800 234 5678", "toll_free", "no"),
    ("0800 123 4567", "toll_free", "no"),
    ("+61 1800 123 456", "toll_free", "no"),
    ("+44 901 234 5678", "premium_rate", "no"),
    ("+49 900 1 234567", "premium_rate", "no"),
    ("+33 884 01 23 45", "shared_cost", "no"),
    ("+44 55 1234 5678", "uan", "no"),
    ("+39 331 0123 4501", "voicemail", "no"),
    ("+44 56 1234 5678", "voip", "maybe"),
    ("+44 70 1234 5678", "personal_number", "maybe"),
    ("+44 76 4012 3456", "pager", "maybe"),
    ("+1 416 555 0123", "fixed_line_or_mobile", "maybe"),
    ("+44 7400 123456", "mobile", "yes"),
    ("+49 1512 3456789", "mobile", "yes"),
]


@pytest.mark.parametrize(("text", "line_type", "capability"), LINE_TYPES)
def test_line_type_decides_whether_sms_can_arrive(
    text: str, line_type: str, capability: str
) -> None:
    analysis = analyse_phone(text, "GB")
    assert analysis.line_type == line_type
    assert analysis.sms_capability == capability
    assert analysis.can_receive_sms is (capability != "no")


def test_london_landline_is_on_the_list_but_cannot_take_sms() -> None:
    analysis = analyse_phone("+44 20 7946 0958")
    assert analysis.sms_country_supported
    assert not analysis.can_receive_sms
    assert analysis.country == "United Kingdom"


def test_invalid_number_is_reported_not_rejected() -> None:
    # Parses (a plausible length under +44) but belongs to no numbering range.
    analysis = analyse_phone("+44 1234 5678")
    assert not analysis.valid
    assert analysis.line_type == "unknown"
    assert analysis.sms_capability == "no"
    assert not analysis.can_receive_sms
    assert not analysis.sms_country_supported


def test_non_geographic_number_has_no_region() -> None:
    analysis = analyse_phone("+800 1234 5678")
    assert analysis.valid
    assert analysis.region is None
    assert analysis.country is None
    assert analysis.line_type == "toll_free"
    assert not analysis.sms_country_supported


def test_extension_is_ignored() -> None:
    analysis = analyse_phone("+44 20 7946 0958 ext. 12")
    assert analysis.e164 == "+442079460958"
    assert "12" not in analysis.masked.removeprefix("+44")


# --- notations: national with a region, exit codes ---------------------------------------


@pytest.mark.parametrize(
    ("text", "default_region", "e164"),
    [
        ("00 44 20 7946 0958", None, "+442079460958"),
        ("011 44 20 7946 0958", None, "+442079460958"),
        ("0044 (0)20 7946 0958", None, "+442079460958"),
        ("00 44 20 7946 0958", "GB", "+442079460958"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("011 44 20 7946 0958", "GB", "+442079460958"),  # a North American habit, in the UK
        ("00 44 20 7946 0958", "US", "+442079460958"),  # a European habit, in the US
        ("0011 61 412 345 678", None, "+61412345678"),  # Australia's exit code
        ("00 1 416 555 0123", None, "+14165550123"),
        ("0049 30 123456", "DE", "+4930123456"),
        ("011 49 30 123456", "US", "+4930123456"),
        ("+44 (0)20 7946 0958", None, "+442079460958"),
        ("+44.20.7946.0958", None, "+442079460958"),
        ("+442079460958", "US", "+442079460958"),  # the region does not override a "+"
        ("020-7946-0958", "GB", "+442079460958"),
        ("(020) 7946 0958", "gb", "+442079460958"),
        ("416.555.0123", "CA", "+14165550123"),
        ("1 416 555 0123", "CA", "+14165550123"),
    ],
)
def test_notations_reach_the_same_e164(text: str, default_region: str | None, e164: str) -> None:
    assert analyse_phone(text, default_region).e164 == e164


# --- unreadable input: a reason, never a traceback ------------------------------------------


@pytest.mark.parametrize(
    ("text", "default_region", "code", "reason"),
    [
        ("", None, "empty", "empty input"),
        ("   ", "GB", "empty", "empty input"),
        ("hello", None, "not_a_number", "not a number"),
        ("hello", "GB", "not_a_number", "not a number"),
        ("+", None, "not_a_number", "not a number"),
        ("---", None, "not_a_number", "not a number"),
        ("123", None, "needs_region", "needs a country code or a region"),
        ("020 7946 0958", None, "needs_region", "needs a country code or a region"),
        ("123", "US", "too_short", "too short"),
        ("+1", None, "too_short", "too short"),
        ("+49 1", None, "too_short", "too short"),
        ("+44 20 7946 09581", None, "too_long", "too long"),
        ("+44 2079460958123456789", None, "too_long", "too long"),
        ("+999 1234567", None, "unknown_country_code", "unknown country code"),
        ("00 999 1234567", None, "unknown_country_code", "unknown country code"),
        ("+0 123", None, "unknown_country_code", "unknown country code"),
        ("07400 123456", "UK", "unknown_region", "unknown region 'UK'"),
    ],
)
def test_unreadable_input_gives_a_reason(
    text: str, default_region: str | None, code: str, reason: str
) -> None:
    with pytest.raises(PhoneParseError) as caught:
        analyse_phone(text, default_region)
    assert caught.value.code == code
    assert caught.value.reason == reason
    assert str(caught.value) == reason
    assert isinstance(caught.value, ValueError)


@given(st.text(max_size=40), st.sampled_from([None, "GB", "US", "DE"]))
def test_any_text_gives_an_analysis_or_a_reason(text: str, region: str | None) -> None:
    try:
        analysis = analyse_phone(text, region)
    except PhoneParseError as error:
        assert error.reason
    else:
        assert analysis.e164.startswith("+")


# --- masking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+442079460958", "+44 •• •••• 0958"),
        ("+447400123456", "+44 •••• ••3456"),
        ("+14165550123", "+1 •••-•••-0123"),
        ("+902121234567", "+90 ••• ••• 45 67"),
        ("+4915123456789", "+49 •••• •••6789"),
        ("+61412345678", "+61 ••• ••5 678"),
        ("+3592123456", "+359 • ••3 456"),  # Sofia: 7 digits, still the last 4
        ("+6834002", "+683 •••2"),  # Niue: 4 digits, 3 of them stay hidden
    ],
)
def test_mask_e164(e164: str, masked: str) -> None:
    assert mask_e164(e164) == masked


@pytest.mark.parametrize("row", REAL_NUMBERS, ids=lambda row: row[3])
def test_mask_keeps_country_code_and_last_four_digits_only(row: tuple[object, ...]) -> None:
    text, default_region, e164 = row[0], row[1], row[2]
    assert isinstance(text, str) and isinstance(e164, str)
    assert default_region is None or isinstance(default_region, str)
    analysis = analyse_phone(text, default_region)
    country_code = f"+{analysis.country_code}"
    assert analysis.masked == mask_e164(e164)
    assert analysis.masked.startswith(country_code + " ")
    visible = re.sub(r"\D", "", analysis.masked)
    assert visible == e164[1:][: len(country_code) - 1] + e164[-4:]
    # grouping of the international format is kept, digit for digit
    assert re.sub(r"\d", "#", analysis.masked.replace("•", "#")) == re.sub(
        r"\d", "#", analysis.international
    )


@pytest.mark.parametrize("stored", ["garbage 12345678", "+999 1234567", "", "12"])
def test_mask_never_shows_an_unreadable_stored_number(stored: str) -> None:
    masked = mask_e164(stored)
    digits = re.sub(r"\D", "", stored)
    assert len(re.sub(r"\D", "", masked)) <= max(0, min(4, len(digits) - 3))


# --- comparing the stated number with the one on file -------------------------------------


@pytest.mark.parametrize(
    ("stated", "on_file", "default_region", "verdict"),
    [
        ("+442079460958", "+442079460958", None, "same"),
        ("+44 20 7946 0958", "+442079460958", None, "same"),
        ("+44 (20) 7946-0958", "+442079460958", "GB", "same"),
        ("020 7946 0958", "+442079460958", "GB", "same_other_notation"),
        ("0044 20 7946 0958", "+442079460958", None, "same_other_notation"),
        ("011 44 20 7946 0958", "+442079460958", None, "same_other_notation"),
        ("+44 (0)20 7946 0958", "+442079460958", None, "same_other_notation"),
        ("(416) 555-0123", "+14165550123", "CA", "same_other_notation"),
        ("+1 416 555 0123", "+14165550123", "GB", "same"),
        ("+353 85 012 3456", "+44850123456", None, "differs_country_code"),
        ("+1 201 555 0123", "+442015550123", None, "differs_country_code"),
        ("085 012 3456", "+44850123456", "IE", "differs_country_code"),
        ("+44 20 7946 0959", "+442079460958", None, "differs"),
        ("07400 123456", "+447400654321", "GB", "differs"),
        ("+1 876 210 1234", "+18092345678", None, "differs"),
    ],
)
def test_same_number_verdicts(
    stated: str, on_file: str, default_region: str | None, verdict: str
) -> None:
    comparison = same_number(stated, on_file, default_region)
    assert comparison.verdict == verdict
    assert comparison.matches is (verdict in ("same", "same_other_notation"))
    assert comparison.stated == analyse_phone(stated, default_region)


def test_comparison_never_reveals_the_number_on_file() -> None:
    comparison = same_number("+44 7400 654321", "+447911987123")
    assert comparison.verdict == "differs"
    shown = repr(comparison) + repr(dataclasses.asdict(comparison))
    assert "7911" not in shown
    assert "987123" not in shown
    assert {field.name for field in dataclasses.fields(comparison)} == {"verdict", "stated"}
    assert isinstance(comparison.stated, PhoneAnalysis)


def test_comparison_reports_an_unreadable_stated_number() -> None:
    with pytest.raises(PhoneParseError) as caught:
        same_number("hello", "+442079460958")
    assert caught.value.code == "not_a_number"


def test_comparison_with_an_unreadable_number_on_file_does_not_echo_it() -> None:
    with pytest.raises(PhoneParseError) as caught:
        same_number("+44 20 7946 0958", "+999 5550123")
    assert caught.value.code == "on_file_unreadable"
    assert "5550123" not in str(caught.value)


def test_analysis_is_frozen() -> None:
    analysis = analyse_phone("+44 20 7946 0958")
    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.valid = False  # type: ignore[misc]
