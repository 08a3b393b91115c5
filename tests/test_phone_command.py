"""`supportdesk phone NUMBER`: the card, the JSON shape and the exit status."""

import argparse
import json

import pytest

from supportdesk.commands.phone import register

JSON_KEYS = {
    "e164",
    "region",
    "country",
    "valid",
    "type",
    "sms_country_supported",
    "can_receive_sms",
    "masked",
}


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="supportdesk")
    subparsers = parser.add_subparsers()
    register(subparsers)
    args = parser.parse_args(argv)
    result = args.func(args)
    assert isinstance(result, int)
    return result


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["phone", "+44 20 7946 0958", "--json"],
            {
                "e164": "+442079460958",
                "region": "GB",
                "country": "United Kingdom",
                "valid": True,
                "type": "fixed_line",
                "sms_country_supported": True,
                "can_receive_sms": False,
                "masked": "+44 •• •••• 0958",
            },
        ),
        (
            ["phone", "0412 345 678", "--region", "AU", "--json"],
            {
                "e164": "+61412345678",
                "region": "AU",
                "country": "Australia",
                "valid": True,
                "type": "mobile",
                "sms_country_supported": True,
                "can_receive_sms": True,
                "masked": "+61 ••• ••5 678",
            },
        ),
        (
            ["phone", "--json", "+1 809 234 5678"],
            {
                "e164": "+18092345678",
                "region": "DO",
                "country": "Dominican Republic",
                "valid": True,
                "type": "fixed_line_or_mobile",
                "sms_country_supported": False,
                "can_receive_sms": True,
                "masked": "+1 •••-•••-5678",
            },
        ),
        (
            ["phone", "+44 1234 5678", "--json"],
            {
                "e164": "+4412345678",
                "region": None,
                "country": None,
                "valid": False,
                "type": "unknown",
                "sms_country_supported": False,
                "can_receive_sms": False,
                "masked": "+44 ••••5678",
            },
        ),
    ],
)
def test_json_is_one_object_with_the_fixed_keys(
    argv: list[str], expected: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("\n") == 1
    data = json.loads(out)
    assert set(data) == JSON_KEYS
    assert data == expected


def test_card_shows_what_the_agent_needs(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["phone", "+44 7624 123456"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "+447624123456" in out
    assert "(IM)" in out
    assert "Isle" in out
    assert "mobile" in out
    assert "+44 •••• ••3456" in out
    lines = dict(line.split(None, 1) for line in out.splitlines() if "  " in line)
    assert lines["Valid"].startswith("yes")
    assert "SMS list" in out
    assert "no, SMS is not offered there" in out
    assert "authenticator app" in out  # the article's fallback when SMS cannot work


def test_card_for_a_landline_on_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["phone", "020 7946 0958", "--region", "gb"]) == 0
    out, _ = capsys.readouterr()
    assert "United Kingdom (GB)" in out
    assert "landline" in out
    assert "Receives SMS  no" in out
    assert "cannot receive SMS" in out


def test_number_may_be_given_unquoted(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["phone", "00", "44", "20", "7946", "0958", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["e164"] == "+442079460958"


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["phone", "hello"], "not a number"),
        (["phone", "hello", "--json"], "not a number"),
        (["phone", ""], "empty input"),
        (["phone", "+"], "not a number"),
        (["phone", "123"], "needs a country code or a region"),
        (["phone", "123", "--region", "US"], "too short"),
        (["phone", "+999 1234567", "--json"], "unknown country code"),
        (["phone", "+44 2079460958123456789"], "too long"),
        (["phone", "07400 123456", "--region", "UK"], "unknown region 'UK'"),
    ],
)
def test_unreadable_input_exits_2_with_the_reason_on_stderr(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert reason in err
    assert "Traceback" not in err
