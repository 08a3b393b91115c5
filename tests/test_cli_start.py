"""The plain `supportdesk` starts the desk's embedded service once, before the rest of
the desk loads; a command, help, the version or a remote service never starts one."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from supportdesk.cli import main
from supportdesk.embedded_process import EmbeddedService
from supportdesk.tui.app import SupportDeskApp


class Starts:
    """EmbeddedService.start stood in for: records each start, runs no process."""

    def __init__(self) -> None:
        self.data_dirs: list[Path | None] = []
        self.stopped = 0

    def start(self, data_dir: Path | None = None) -> Starts:
        self.data_dirs.append(data_dir)
        return self

    def stop(self) -> None:
        self.stopped += 1


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Starts:
    record = Starts()
    monkeypatch.setattr(EmbeddedService, "start", record.start)
    monkeypatch.setattr(SupportDeskApp, "run", lambda self, *args, **kwargs: None)
    monkeypatch.setenv("SUPPORTDESK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SUPPORTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SUPPORTDESK_API_URL", raising=False)
    return record


def test_the_plain_desk_starts_one_service_for_the_folder_it_names(
    starts: Starts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path / "elsewhere")]) == 0
    assert starts.data_dirs == [tmp_path / "elsewhere"]
    assert starts.stopped == 0  # the desk owns it now (it ends with the desk)
    assert "demo-agent" in capsys.readouterr().out  # the demo accounts, as before


def test_the_plain_desk_without_flags_starts_one_service(starts: Starts) -> None:
    assert main([]) == 0
    assert starts.data_dirs == [None]  # the child reads the data folder from the settings


@pytest.mark.parametrize(
    "arguments",
    [
        ["--version"],
        ["--help"],
        ["demo", "phone", "nobody-here"],
        ["--data-dir", "somewhere", "demo", "phone", "nobody-here"],
    ],
)
def test_anything_but_the_plain_desk_starts_no_service(
    starts: Starts, arguments: list[str]
) -> None:
    with contextlib.suppress(SystemExit):  # help and the version end the parser
        main(arguments)
    assert starts.data_dirs == []


def test_a_desk_for_a_remote_service_starts_none(starts: Starts) -> None:
    assert main(["--api", "http://127.0.0.1:9"]) == 0
    assert starts.data_dirs == []
