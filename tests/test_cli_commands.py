"""The command line: serve over real HTTP, the demo phone, demo reset, bad input."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.cli import main

SCRIPT = [sys.executable, "-m", "supportdesk"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`supportdesk serve --demo` on a loopback port, as a real process."""
    db = tmp_path / "served.sqlite3"
    port = free_port()
    process = subprocess.Popen(
        [*SCRIPT, "serve", "--port", str(port), "--db", f"sqlite:///{db}", "--demo"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the service did not come up")
        yield url, db
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_serve_mode_answers_the_client_over_real_http(served: tuple[str, Path]) -> None:
    url, db = served
    with sqlite3.connect(db) as conn:
        (secret,) = conn.execute(
            "select totp_secret from agents where username = 'demo-agent'"
        ).fetchone()
    async with SupportDeskClient(url) as client:
        caps = await client.capabilities()
        assert caps.demo_mode
        await client.sign_in("demo-agent", "demo", pyotp.TOTP(secret).now())
        tickets = await client.list_tickets()
        assert len(tickets) >= 12


def test_demo_phone_prints_the_code_and_the_slow_clock(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "phone", "u1005"]) == 0
    out = capsys.readouterr().out
    assert "runs 150 s slow" in out
    code = out.split(":", 1)[1].split()[:2]
    assert all(part.isdigit() and len(part) == 3 for part in code)


def test_demo_phone_for_an_unknown_name_is_a_clear_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "phone", "nobody-here"]) == 2
    assert "no demo account is called 'nobody-here'" in capsys.readouterr().err


def test_demo_reset_rebuilds_the_world(capsys: pytest.CaptureFixture[str]) -> None:
    from supportdesk.config import load_settings
    from supportdesk.embedded import DB_NAME

    assert main(["demo", "phone", "demo-agent"]) == 0  # first use seeds the world
    db = load_settings().data_dir / DB_NAME

    def agent_seed() -> str:
        with sqlite3.connect(db) as conn:
            row = conn.execute("select totp_secret from agents where username = 'demo-agent'")
            return str(row.fetchone()[0])

    def resolved_tickets() -> int:
        with sqlite3.connect(db) as conn:
            return int(
                conn.execute("select count(*) from tickets where status != 'open'").fetchone()[0]
            )

    before = agent_seed()
    with sqlite3.connect(db) as conn:
        conn.execute("update tickets set status = 'resolved'")
    assert resolved_tickets() > 0
    capsys.readouterr()
    assert main(["demo", "reset"]) == 0
    assert "demo-agent" in capsys.readouterr().out
    assert agent_seed() != before
    assert resolved_tickets() == 0


def test_demo_phone_refuses_a_remote_back_end(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPORTDESK_API_URL", "http://127.0.0.1:9")
    assert main(["demo", "phone", "demo-agent"]) == 2
    assert "embedded demo only" in capsys.readouterr().err


def test_serve_outside_the_demo_refuses_the_simulated_carrier(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SUPPORTDESK_SERVICE_SMS_GATEWAY", raising=False)
    assert main(["serve", "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}"]) == 2
    assert "SUPPORTDESK_SERVICE_SMS_GATEWAY=http" in capsys.readouterr().err


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the service did not come up")


async def test_a_served_demo_keeps_its_store_in_the_data_folder_and_demo_phone_reads_it(
    tmp_path: Path,
) -> None:
    """Issue 9: `serve --demo` as the README tells it, then `demo phone` for the code."""
    import os

    data = tmp_path / "data"
    here = tmp_path / "checkout"
    here.mkdir()
    env = {**os.environ, "SUPPORTDESK_DATA_DIR": str(data)}
    env.pop("SUPPORTDESK_SERVICE_DB_URL", None)
    port = free_port()
    out = tmp_path / "serve.out"
    with out.open("w") as printed:
        process = subprocess.Popen(
            [*SCRIPT, "serve", "--demo", "--port", str(port)],
            cwd=here,
            env=env,
            stdout=printed,
            stderr=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        assert (data / "supportdesk-demo.sqlite3").exists()
        assert list(here.iterdir()) == [], "nothing is written in the current folder"
        shown = out.read_text()
        assert "password 'demo'" in shown and "supportdesk demo phone demo-agent" in shown
        phone = subprocess.run(
            [*SCRIPT, "demo", "phone", "demo-agent"],
            cwd=here,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        first, second = phone.split(":", 1)[1].split()[:2]
        async with SupportDeskClient(url) as client:
            await client.sign_in("demo-agent", "demo", first + second)
            assert len(await client.list_tickets()) >= 12
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_phone_reads_the_store_named_with_db(
    served: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _url, db = served
    assert main(["demo", "phone", "demo-agent", "--db", f"sqlite:///{db}"]) == 0
    with sqlite3.connect(db) as conn:
        (secret,) = conn.execute(
            "select totp_secret from agents where username = 'demo-agent'"
        ).fetchone()
    code = capsys.readouterr().out.split(":", 1)[1].split()[:2]
    assert "".join(code) in {pyotp.TOTP(secret).now(), pyotp.TOTP(secret).at(time.time() - 30)}


def test_demo_phone_on_a_store_without_a_demo_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "phone", "demo-agent", "--db", f"sqlite:///{tmp_path / 'no.db'}"]) == 2
    assert "there is no store at" in capsys.readouterr().err
    assert not (tmp_path / "no.db").exists()
