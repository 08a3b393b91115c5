r"""`supportdesk triage [FILE] [--json]`: one answer a line, from a file or standard input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from supportdesk.cli import main
from supportdesk.triage import TriageModel

TICKETS = [
    "the text with my login code never arrives",
    "",
    # An e-mail on one line: \n for its line breaks, with a signature and a quoted reply.
    r"Hi,\n\nMy phone was stolen and the authenticator was on it.\n\nRegards,\nAl\n"
    r"On Mon, 2 Mar 2026, Alvys Support wrote:\n> Could you tell us your invoice number?",
    "Nie pamiętam hasła, proszę o link do zmiany hasła",
]
EXPECTED = ["sms_not_received", "unsure", "lost_device", "not_mfa"]


@pytest.fixture
def tickets_file(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.txt"
    path.write_text("\n".join(TICKETS) + "\n", encoding="utf-8")
    return path


def test_a_file_gets_one_line_of_branch_and_confidence_per_ticket(
    triage_model: TriageModel, tickets_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["triage", str(tickets_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == EXPECTED
    code, confidence, guesses = lines[0].split("\t")
    assert 0.5 <= float(confidence) <= 1.0
    assert guesses.split(" ")[0] == f"{code}:{confidence}"
    assert len(guesses.split(" ")) == 2
    assert lines[1] == "unsure\t0.00"


def test_json_gives_one_object_per_ticket(
    triage_model: TriageModel, tickets_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["triage", str(tickets_file), "--json"]) == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["branch"] for a in answers] == EXPECTED
    first = answers[0]
    assert first["confidence"] == first["top"][0]["confidence"] >= 0.5
    assert first["top"][0]["branch"] == "sms_not_received"
    assert len(first["top"]) == 2 and first["source"] == "model"
    assert answers[1] == {"branch": "unsure", "confidence": 0.0, "top": [], "source": "empty"}


def test_standard_input_is_read_when_no_file_is_named(
    triage_model: TriageModel, triage_cache_base: Path
) -> None:
    env = {**os.environ, "SUPPORTDESK_CACHE_DIR": str(triage_cache_base)}
    result = subprocess.run(
        [sys.executable, "-m", "supportdesk", "triage", "--json"],
        input="\n".join(TICKETS) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["branch"] for line in result.stdout.splitlines()] == EXPECTED


def test_an_unreadable_file_is_reported_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["triage", str(tmp_path / "missing.txt")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cannot read" in captured.err and "missing.txt" in captured.err


def test_a_file_that_is_not_text_is_reported_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "tickets.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage\x80")
    assert main(["triage", str(binary)]) == 2
    assert capsys.readouterr().out == ""
