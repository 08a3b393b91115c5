"""The embedded demo service in its own process: the desk signs in over its socket, the
process ends with the desk however the desk ends, and a failure to start reaches the agent
as a sentence, never a traceback. Without Unix sockets it runs inside the desk instead."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportdesk.cli import build_desk
from supportdesk.embedded import DB_NAME
from supportdesk.embedded_process import EmbeddedService
from supportdesk.service.store.engine import make_engine, sqlite_url
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.unreachable import UnreachableScreen
from tests.support import agent_code
from tests.tui.support import desk_settings, text, type_sign_in, until, wait_for_screen

DEADLINE_S = 60.0


@pytest.fixture
def data_dir(demo_template: Path, tmp_path: Path) -> Path:
    """A data folder holding an already seeded demo store (seeding is not under test)."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(demo_template, folder / DB_NAME)
    return folder


def gone(pid: int) -> bool:
    """The process has ended (a zombie nobody has reaped yet counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def wait_until_gone(pid: int) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not gone(pid):
        if time.monotonic() > deadline:
            raise AssertionError(f"the service process {pid} outlived the desk")
        time.sleep(0.05)


async def test_the_desk_signs_in_over_its_service_process_which_ends_with_it(
    data_dir: Path,
) -> None:
    service = EmbeddedService.start(data_dir)
    app = build_desk(desk_settings(data_dir=data_dir), service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.connection == "connected", "the service", DEADLINE_S)
        assert service.running()
        assert app.backend is not None and app.backend.label == "demo · SQLite"
        engine = make_engine(sqlite_url(data_dir / DB_NAME))
        code = await agent_code(engine, "demo-agent", datetime.now(UTC))
        await engine.dispose()
        await type_sign_in(pilot, "demo", code, "demo-agent")
        await wait_for_screen(pilot, QueueScreen, DEADLINE_S)
        assert "Open tickets" in text(pilot.app, "#queue-title")
    assert not service.running(), "the service process outlived the desk"
    assert not service.folder.exists(), "the socket's folder was left behind"


async def test_a_desk_that_quits_before_connecting_still_ends_its_service(
    data_dir: Path,
) -> None:
    service = EmbeddedService.start(data_dir)
    app = build_desk(desk_settings(data_dir=data_dir), service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
    assert not service.running()


KILLED_DESK = """
import asyncio, sys
from pathlib import Path
from supportdesk.embedded_process import EmbeddedService

service = EmbeddedService.start(Path(sys.argv[1]))
asyncio.run(service.wait_ready())
print(service.pid, service.folder, flush=True)
sys.stdin.read()  # until the test kills this stand-in for the desk
"""


def test_the_service_process_ends_when_the_desk_is_killed(data_dir: Path) -> None:
    desk = subprocess.Popen(
        [sys.executable, "-c", KILLED_DESK, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert desk.stdout is not None
        pid, folder = desk.stdout.readline().split(maxsplit=1)
        child = int(pid)
        assert not gone(child)
        os.kill(desk.pid, signal.SIGKILL)  # no clean-up runs in the desk
        desk.wait()
        wait_until_gone(child)
        assert not Path(folder.strip()).exists(), "the socket's folder was left behind"
    finally:
        if desk.poll() is None:
            desk.kill()
            desk.wait()


async def test_a_store_that_cannot_be_opened_is_said_plainly(data_dir: Path) -> None:
    (data_dir / DB_NAME).write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    app = build_desk(desk_settings(data_dir=data_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(
            pilot, lambda: isinstance(app.screen, UnreachableScreen), "the failure", DEADLINE_S
        )
        said = text(pilot.app, "#unreachable-message")
    assert "could not start" in said and "demo store cannot be opened" in said, said
    assert "Traceback" not in said and "File " not in said, said


async def test_without_unix_sockets_the_service_runs_inside_the_desk(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import supportdesk.embedded_process as embedded_process

    monkeypatch.setattr(embedded_process, "supported", lambda: False)

    def no_child(*_args: object) -> EmbeddedService:
        raise AssertionError("no service process where Unix sockets are missing")

    monkeypatch.setattr(EmbeddedService, "start", no_child)
    app = build_desk(desk_settings(data_dir=data_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.connection == "connected", "the service", DEADLINE_S)
        assert app.backend is not None and app.backend.label == "demo · SQLite"
