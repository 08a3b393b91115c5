"""Time to first screen and to a sign-in answered: the desk beside a bare Textual app.

Each sample is a fresh interpreter (imports included), run headless, started the way
the `supportdesk` command starts the desk (the embedded demo service included). Marks:

- first screen: the sign-in screen is on the compositor (the bare app: its first frame);
- connected: the embedded service has answered the desk's first request;
- sign-in answered: a demo agent's sign-in (password and a fresh code) has come back
  through the desk's api client, as if typed the moment the screen showed.

Runs are interleaved (bare, desk, bare, desk, ...) so both see the same machine load;
medians are printed with the goals of issue 13: first screen <= 1.3x the bare app's,
sign-in answered <= 4x the bare app's first screen.

    .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyotp

BARE = """
from textual.app import App
from textual.widgets import Static

class Bare(App[None]):
    def compose(self):
        yield Static("Hello")

async def first_frame(pilot):
    # Textual starts the auto-pilot once the app is ready: its first frame is up.
    print("first", flush=True)
    pilot.app.exit()

Bare().run(headless=True, size=(80, 24), auto_pilot=first_frame)
"""

DESK = """
import os
import supportdesk.cli as cli

if hasattr(cli, "launch_desk"):
    app = cli.launch_desk()  # as the `supportdesk` command does
else:  # a checkout from before issue 13, for the "before" figures
    from supportdesk.config import load_settings
    app = cli.build_desk(load_settings)

async def first_frame(pilot):
    from supportdesk.tui.screens.signin import SignInScreen
    while not isinstance(pilot.app.screen, SignInScreen):
        await pilot.pause(0.001)
    print("first", flush=True)
    await pilot.app.ready_backend()
    print("connected", flush=True)
    user, code = os.environ.get("BENCH_USER"), os.environ.get("BENCH_CODE")
    if user and code:
        session = await pilot.app.call(lambda backend: backend.sign_in(user, "demo", code))
        print("signed in" if session else "refused", flush=True)
    pilot.app.exit()

app.run(headless=True, size=(80, 24), auto_pilot=first_frame)
"""

ACCOUNTS = ("demo-agent", "demo-agent2", "demo-lead")
TOTP_STEP_S = 30


def sample(code: str, env: dict[str, str]) -> dict[str, float]:
    """Seconds from spawning the interpreter to each line the child prints."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    marks: dict[str, float] = {}
    assert child.stdout is not None
    for line in child.stdout:
        marks[line.strip()] = time.perf_counter() - start
    child.wait()
    if child.returncode != 0:
        raise SystemExit(f"benchmark child failed with status {child.returncode}")
    return marks


class Codes:
    """Fresh sign-in codes for the demo agents: each (agent, 30 s step) is spent once,
    so a run waits for the next step when all three agents have used theirs."""

    def __init__(self, store: Path) -> None:
        with sqlite3.connect(store) as db:
            rows = db.execute("SELECT username, totp_secret FROM agents").fetchall()
        self.secrets = {name: secret for name, secret in rows if name in ACCOUNTS}
        self.last: dict[str, int] = {}

    def next(self) -> tuple[str, str]:
        while True:
            now = int(time.time()) // TOTP_STEP_S
            for name, secret in self.secrets.items():
                # A code of this step or the next is accepted for the next 30 s at least.
                step = max(now, self.last.get(name, -1) + 1)
                if step <= now + 1:
                    self.last[name] = step
                    return name, pyotp.TOTP(secret).at(step * TOTP_STEP_S)
            time.sleep(TOTP_STEP_S - time.time() % TOTP_STEP_S + 0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "SUPPORTDESK_DATA_DIR": data_dir,
            "SUPPORTDESK_CONFIG": str(Path(data_dir) / "none.toml"),
        }
        env.pop("SUPPORTDESK_API_URL", None)
        sample(DESK, env)  # first run seeds the demo store; not counted
        codes = Codes(Path(data_dir) / "supportdesk-demo.sqlite3")
        bare: list[float] = []
        desk: list[float] = []
        connected: list[float] = []
        signed_in: list[float] = []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            bare.append(sample(BARE, env)["first"])
            user, code = codes.next()
            marks = sample(DESK, {**env, "BENCH_USER": user, "BENCH_CODE": code})
            if "signed in" not in marks:
                raise SystemExit(f"the sign-in of {user} was refused: {sorted(marks)}")
            desk.append(marks["first"])
            connected.append(marks["connected"])
            signed_in.append(marks["signed in"])
    b, d, c, s = (statistics.median(x) for x in (bare, desk, connected, signed_in))
    load = os.getloadavg()[0]
    print(f"runs: {args.runs} each, interleaved, medians; {os.cpu_count()} CPUs, load {load:.1f}")
    print(f"bare Textual app, first screen:    {b * 1000:7.0f} ms")
    print(f"supportdesk, sign-in screen:       {d * 1000:7.0f} ms  ({d / b:.2f}x bare; goal 1.3x)")
    print(f"supportdesk, service connected:    {c * 1000:7.0f} ms  ({c / b:.2f}x bare)")
    print(f"supportdesk, sign-in answered:     {s * 1000:7.0f} ms  ({s / b:.2f}x bare; goal 4x)")


if __name__ == "__main__":
    main()
