"""Memory of the desk after a lead signs in and opens the audit log, beside a bare Textual app.

Each sample is a fresh interpreter running the desk headless (Textual's run_test pilot),
started as the `supportdesk` command starts it: it waits for the embedded service, signs
in as demo-lead (password and a fresh code, typed into the sign-in screen), opens the
audit log with its key and waits until the page has loaded and the desk is idle. Then it
reads resident memory (VmRSS) of the desk's own process and of the embedded service's
process. The bare app is a one-Static Textual app in the same harness, after its first
frame. Medians of interleaved runs; the goal of issue 13 is the desk's process <= 80 MiB.

    .venv/bin/python bench/memory.py [--runs N] [--top]

--top also prints, for one run, the desk process's largest allocation sites (tracemalloc)
and which heavy packages it has imported.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyotp

HELPERS = r"""
import gc, json, os, sys
from pathlib import Path

def rss_kib(pid="self"):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0

def children():
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                found.append(int(entry.name))
    return found

def report(**extra):
    gc.collect()
    kids = children()
    print(json.dumps({"rss": rss_kib(), "service": sum(rss_kib(p) for p in kids), **extra}),
          flush=True)
"""

BARE = (
    HELPERS
    + """
import asyncio
from textual.app import App
from textual.widgets import Static

class Bare(App[None]):
    def compose(self):
        yield Static("Hello")

async def main():
    async with Bare().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        report()

asyncio.run(main())
"""
)

DESK = (
    HELPERS
    + """
import asyncio, time
import supportdesk.cli as cli

TOP = bool(os.environ.get("BENCH_TOP"))
if TOP:
    import tracemalloc
    tracemalloc.start(1)

if hasattr(cli, "launch_desk"):
    app = cli.launch_desk()  # as the `supportdesk` command does
else:  # a checkout from before issue 13, for the "before" figures
    from supportdesk.config import load_settings
    app = cli.build_desk(load_settings)

def idle():
    return not any(w.state.name in ("PENDING", "RUNNING") for w in app.workers)

async def until(condition, what, timeout=600 if TOP else 120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            said = [str(w.render()) for w in app.screen.query("#signin-message")]
            raise SystemExit(f"waited {timeout} s for {what}; the desk shows {app.screen} {said}")
        await asyncio.sleep(0.02)

async def main():
    from supportdesk.tui.screens.audit_log import AuditLogScreen
    from supportdesk.tui.screens.queue import QueueScreen
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: app.connection == "connected", "the service")
        screen = app.screen
        screen.query_one("#username").value = "demo-lead"
        screen.query_one("#password").value = "demo"
        screen.query_one("#code").value = os.environ["BENCH_CODE"]
        screen.submit()
        await until(lambda: isinstance(app.screen, QueueScreen) and idle(), "the queue")
        await pilot.press("A")  # the queue's key for the audit log
        await until(lambda: isinstance(app.screen, AuditLogScreen), "the audit log")
        await pilot.pause()
        await until(idle, "the audit page")
        await pilot.pause()
        rows = app.screen.query_one("DataTable").row_count
        heavy = sorted(m for m in ("fastapi", "sqlalchemy", "uvicorn", "sklearn", "numpy",
                                   "scipy", "phonenumbers", "starlette") if m in sys.modules)
        extra = {"rows": rows, "heavy": heavy}
        if TOP:
            snapshot = tracemalloc.take_snapshot()
            stats = snapshot.statistics("filename")[:15]
            extra["top"] = [f"{s.size / 1024:8.0f} KiB  {s.traceback[0].filename}" for s in stats]
            extra["traced_kib"] = sum(s.size for s in snapshot.statistics("filename")) // 1024
        report(**extra)
        await pilot.press("ctrl+q")

asyncio.run(main())
"""
)

TOTP_STEP_S = 30


def sample(code: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"benchmark child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(lines[-1])
    return result


def lead_code(store: Path, last: list[int]) -> str:
    """A code for demo-lead whose 30 s step has not been used yet (waits for one)."""
    with sqlite3.connect(store) as db:
        (secret,) = db.execute(
            "SELECT totp_secret FROM agents WHERE username = 'demo-lead'"
        ).fetchone()
    while True:
        now = int(time.time()) // TOTP_STEP_S
        step = max(now, last[-1] + 1) if last else now
        if step <= now + 1:
            last.append(step)
            return str(pyotp.TOTP(secret).at(step * TOTP_STEP_S))
        time.sleep(TOTP_STEP_S - time.time() % TOTP_STEP_S + 0.05)


def mib(kib: float) -> str:
    return f"{kib / 1024:6.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", action="store_true", help="tracemalloc top sites, one run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "SUPPORTDESK_DATA_DIR": data_dir,
            "SUPPORTDESK_CONFIG": str(Path(data_dir) / "none.toml"),
        }
        env.pop("SUPPORTDESK_API_URL", None)
        store = Path(data_dir) / "supportdesk-demo.sqlite3"
        subprocess.run(  # seeds the demo store once; not measured
            [sys.executable, "-m", "supportdesk", "demo", "phone", "demo-lead"],
            env=env,
            capture_output=True,
            check=True,
        )
        used: list[int] = []
        bare, desk, service = [], [], []
        last: dict[str, object] = {}
        for _ in range(args.runs):
            bare.append(float(sample(BARE, env)["rss"]))  # type: ignore[arg-type]
            last = sample(DESK, {**env, "BENCH_CODE": lead_code(store, used)})
            desk.append(float(last["rss"]))  # type: ignore[arg-type]
            service.append(float(last["service"]))  # type: ignore[arg-type]
        if args.top:
            top = sample(DESK, {**env, "BENCH_CODE": lead_code(store, used), "BENCH_TOP": "1"})
    b, d, s = (statistics.median(x) for x in (bare, desk, service))
    print(f"runs: {args.runs} each, interleaved, medians; {os.cpu_count()} CPUs")
    print(f"bare Textual app, after first frame:       {mib(b)}")
    print(f"desk process, lead in the audit log:       {mib(d)}  ({d / b:.2f}x bare; goal 80 MiB)")
    if s:
        print(f"embedded service process (its own):        {mib(s)}")
        print(f"desk and service together:                 {mib(d + s)}")
    else:
        print("embedded service process:                  none (in the desk's process)")
    print(f"audit rows on screen: {last.get('rows')}")
    print(f"heavy modules in the desk's process: {last.get('heavy')}")
    if args.top:
        print(f"\ntracemalloc, desk process: {top.get('traced_kib')} KiB traced; largest files:")
        for line in top.get("top", []):  # type: ignore[union-attr]
            print(f"  {line}")


if __name__ == "__main__":
    main()
