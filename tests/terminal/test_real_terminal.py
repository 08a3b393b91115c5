"""The desk in a real terminal (tmux, 80×24), driven by keystrokes as an agent would.

Runs the installed `supportdesk` console script on a fresh data folder: the first
start seeds the demo world, prints credentials, and paints the sign-in screen.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.terminal.support import Terminal

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

SCRIPT = Path(sys.executable).with_name("supportdesk")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    env = {
        **os.environ,
        "SUPPORTDESK_DATA_DIR": str(tmp_path / "data"),
        "SUPPORTDESK_CONFIG": str(tmp_path / "none.toml"),
        "TMUX_TMPDIR": str(tmp_path),
        "TERM": "xterm-256color",
    }
    env.pop("TMUX", None)
    session = f"desk-{uuid.uuid4().hex[:8]}"
    term = Terminal(session, env)
    term.tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", str(SCRIPT))
    try:
        yield term
    finally:
        subprocess.run(["tmux", "kill-server"], env=env, capture_output=True)


def demo_code(env: dict[str, str], name: str) -> str:
    out = subprocess.run(
        [str(SCRIPT), "demo", "phone", name], check=True, capture_output=True, text=True, env=env
    ).stdout
    first, second = out.split(":", 1)[1].split()[:2]
    return first + second


def test_fresh_start_sign_in_queue_and_account(terminal: Terminal) -> None:
    terminal.wait_for(
        lambda s: "Sign in to supportdesk" in s and "connected" in s, "the sign-in screen"
    )
    for attempt in range(2):  # a code may roll over between reading and typing it
        code = demo_code(terminal.env, "demo-agent")
        terminal.keys("C-u")
        terminal.keys("demo-agent", "Enter", "demo", "Enter", code, "Enter")
        screen = terminal.wait_for(
            lambda s: "Open tickets ·" in s or "Wrong username" in s, "the queue or a refusal"
        )
        if "Open tickets ·" in screen:
            break
        assert attempt == 0, screen
        terminal.keys("Escape")
    assert "Dana Agent" in screen
    lines = screen.splitlines()
    header = next(i for i, line in enumerate(lines) if "Age" in line and "Ticket" in line)
    user = " ".join(lines[header + 1].split()[2:4])  # Age, Via, then the user's name
    terminal.keys("Enter")
    account = terminal.wait_for(lambda s: "Factors" in s or "esc Back" in s, "the account")
    assert user.split()[0] in account
    terminal.keys("C-q")
