"""``supportdesk phone NUMBER``: the phone analysis of the SMS branch, from a shell.

Lets an agent (or a script, with ``--json``) check a number without opening the kiosk:
is it real, which country, is that country on the article's SMS list, can the line take
a text. Exit status 0 for any number that could be read (even an invalid one: the answer
is in the output), 2 when the text is not a phone number at all, with the reason on
stderr and nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supportdesk.rules.phone import PhoneAnalysis

EXIT_UNREADABLE = 2

_LINE_TYPE_WORDS = {
    "fixed_line": "landline",
    "fixed_line_or_mobile": "landline or mobile (the numbering plan cannot tell)",
    "voip": "VoIP",
    "uan": "UAN (company-wide number)",
}
_CAPABILITY_WORDS = {
    "yes": "yes",
    "maybe": "maybe (not certain to be a mobile)",
    "no": "no",
}


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``phone`` subcommand to the main CLI's subparsers."""
    parser = subparsers.add_parser(
        "phone",
        help="analyse a phone number (country, SMS list, line type)",
        description=(
            "Analyse a phone number: country, whether SMS verification is offered "
            "there, whether the line can receive SMS, and its masked form."
        ),
    )
    parser.add_argument(
        "number",
        nargs="+",
        metavar="NUMBER",
        help='the number in any notation, e.g. "+44 20 7946 0958", "0044 20...", "011 44 20..."',
    )
    parser.add_argument(
        "--region",
        metavar="XX",
        default=None,
        help="ISO country code for numbers written without a country code (e.g. GB, US)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Analyse ``args.number`` and print the card or the JSON object."""
    # Imported here: the numbering-plan data is heavy and the desk's start-up does not need it.
    from supportdesk.rules.phone import PhoneParseError, analyse_phone

    number = args.number if isinstance(args.number, str) else " ".join(args.number)
    try:
        analysis = analyse_phone(number, args.region)
    except PhoneParseError as error:
        print(f"phone: cannot read {number!r}: {error.reason}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.json:
        print(json.dumps(as_json(analysis), ensure_ascii=False))
    else:
        print(card(analysis))
    return 0


def as_json(analysis: PhoneAnalysis) -> dict[str, str | bool | None]:
    """The fixed JSON shape of ``phone --json``."""
    return {
        "e164": analysis.e164,
        "region": analysis.region,
        "country": analysis.country,
        "valid": analysis.valid,
        "type": analysis.line_type,
        "sms_country_supported": analysis.sms_country_supported,
        "can_receive_sms": analysis.can_receive_sms,
        "masked": analysis.masked,
    }


def card(analysis: PhoneAnalysis) -> str:
    """A short card an agent can read aloud from."""
    country = analysis.country or "unknown country"
    if analysis.region is not None:
        country = f"{country} ({analysis.region})"
    line_type = _LINE_TYPE_WORDS.get(analysis.line_type, analysis.line_type.replace("_", " "))
    on_list = "yes" if analysis.sms_country_supported else "no, SMS is not offered there"
    rows = [
        ("Number", analysis.international),
        ("E.164", analysis.e164),
        ("Country", country),
        ("Valid", f"{_yes_no(analysis.valid)} (possible: {_yes_no(analysis.possible)})"),
        ("Line type", line_type),
        ("SMS list", on_list),
        ("Receives SMS", _CAPABILITY_WORDS[analysis.sms_capability]),
        ("Masked", analysis.masked),
        ("SMS verdict", _verdict(analysis)),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _verdict(analysis: PhoneAnalysis) -> str:
    """One line the agent can act on, following the article's SMS troubleshooting."""
    if not analysis.valid:
        return "not a valid number: ask the user to read it out again with the country code"
    if not analysis.sms_country_supported:
        return "country not on the SMS list: use the authenticator app"
    if not analysis.can_receive_sms:
        return "this line cannot receive SMS: use a mobile number or the authenticator app"
    if analysis.sms_capability == "maybe":
        return "SMS may work: confirm it is a mobile, then resend"
    return "SMS should work: check coverage, then resend"
