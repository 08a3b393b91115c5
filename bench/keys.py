"""Keystrokes per canonical ticket, from its highlighted queue row to resolved.

Runs the pilot tests in tests/tui/test_keystrokes.py (which assert each budget) and
prints the count each measured, with the keys pressed. Typed data is not counted.

    .venv/bin/python bench/keys.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests" / "tui" / "test_keystrokes.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("keystrokes ")]
    for line in lines:
        print(line.removeprefix("keystrokes "))
    if run.returncode != 0:
        print(run.stdout[-3000:], file=sys.stderr)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
