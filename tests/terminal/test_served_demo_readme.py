"""The README's serve-mode walk-through, word for word, in a real terminal (tmux, 80×24).

The commands are read from the README's "Serve mode" section and run as printed (only the
port is swapped for a free one): serve the demo, open the desk against it, read the
agent's code from the demo phone, sign in, see the queue.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.terminal.support import Terminal

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

ROOT = Path(__file__).parent.parent.parent
README_PORT = "8765"


def readme_commands() -> list[str]:
    """The shell lines of the README's serve-mode section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Serve mode", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def as_run_here(command: str, port: str) -> str:
    """The README's line with a free port, and this checkout's script if it has no .venv."""
    command = command.replace(README_PORT, port)
    script = ROOT / ".venv" / "bin" / "supportdesk"
    if not script.exists():
        command = command.replace(
            ".venv/bin/supportdesk", str(Path(sys.executable).parent / "supportdesk")
        )
    return command


@pytest.fixture
def walk(tmp_path: Path) -> Iterator[tuple[Terminal, dict[str, str], list[str]]]:
    env = {
        **os.environ,
        "SUPPORTDESK_DATA_DIR": str(tmp_path / "data"),
        "SUPPORTDESK_CONFIG": str(tmp_path / "none.toml"),
        "TMUX_TMPDIR": str(tmp_path),
        "TERM": "xterm-256color",
    }
    for name in ("TMUX", "SUPPORTDESK_API_URL", "SUPPORTDESK_SERVICE_DB_URL"):
        env.pop(name, None)
    port = free_port()
    commands = [as_run_here(c, port) for c in readme_commands()]
    session = f"serve-{uuid.uuid4().hex[:8]}"
    term = Terminal(session, env)
    term.tmux("new-session", "-d", "-s", f"{session}-api", "-c", str(ROOT), commands[0])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("`serve --demo` did not come up as the README says")
        term.tmux(
            "new-session", "-d", "-s", session, "-x", "80", "-y", "24", "-c", str(ROOT), commands[1]
        )
        yield term, env, commands
    finally:
        subprocess.run(["tmux", "kill-server"], env=env, capture_output=True)


def test_the_served_demo_is_signed_into_as_the_readme_says(
    walk: tuple[Terminal, dict[str, str], list[str]],
) -> None:
    term, env, commands = walk
    assert [c.split()[1] for c in commands] == ["serve", "--api", "demo"]
    served = term.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", f"{term.session}-api")
    assert "password 'demo'" in served and "demo phone demo-agent" in served
    term.wait_for(lambda s: "Sign in to supportdesk" in s and "connected" in s, "sign-in")
    for attempt in range(2):  # a code may roll over between reading and typing it
        phone = subprocess.run(
            shlex.split(commands[2]),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        first, second = phone.split(":", 1)[1].split()[:2]
        term.keys("C-u")
        term.keys("demo-agent", "Enter", "demo", "Enter", f"{first}{second}", "Enter")
        screen = term.wait_for(
            lambda s: "Open tickets ·" in s or "Wrong username" in s or "already used" in s,
            "the queue or a refusal",
        )
        if "Open tickets ·" in screen:
            break
        assert attempt == 0, screen
        term.keys("Escape")
    assert "Dana Agent" in screen
    term.keys("C-q")
