"""Time to first screen: the desk beside a bare Textual app, measured in the same run.

Each sample is a fresh interpreter (imports included), run headless until the
first screen is on the compositor. Prints medians; the goal is the desk within
1.5x of the bare app. The embedded service starts after the first frame, so
its time to "connected" is printed separately.

    .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

BARE = """
import time
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
import time
from supportdesk.config import load_settings
from supportdesk.cli import build_desk

app = build_desk(load_settings)  # as the CLI does: settings load after the first frame

async def first_frame(pilot):
    from supportdesk.tui.screens.signin import SignInScreen
    while not isinstance(pilot.app.screen, SignInScreen):
        await pilot.pause(0.001)
    print("first", flush=True)
    while pilot.app.connection != "connected":
        await pilot.pause(0.01)
    print("connected", flush=True)
    pilot.app.exit()

app.run(headless=True, size=(80, 24), auto_pilot=first_frame)
"""


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    import os

    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "SUPPORTDESK_DATA_DIR": data_dir}
        env.pop("SUPPORTDESK_API_URL", None)
        sample(DESK, env)  # first run seeds the demo store; not counted
        bare: list[float] = []
        desk: list[float] = []
        connected: list[float] = []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            bare.append(sample(BARE, env)["first"])
            marks = sample(DESK, env)
            desk.append(marks["first"])
            connected.append(marks["connected"])
    b, d, c = (statistics.median(x) for x in (bare, desk, connected))
    print(f"runs: {args.runs} each, interleaved, medians")
    print(f"bare Textual app, first screen:   {b * 1000:7.0f} ms")
    print(f"supportdesk, sign-in screen:      {d * 1000:7.0f} ms  ({d / b:.2f}x bare; goal 1.5x)")
    print(f"supportdesk, embedded service up: {c * 1000:7.0f} ms  (after the first frame)")


if __name__ == "__main__":
    main()
