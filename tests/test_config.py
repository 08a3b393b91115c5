"""Settings come in layers and refuse typos instead of ignoring them."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportdesk.config import ConfigError, load_settings


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SUPPORTDESK_CONFIG", str(path))


def test_defaults_lock_after_five_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPPORTDESK_DATA_DIR", raising=False)
    settings = load_settings()
    assert settings.idle_lock_minutes == 5
    assert settings.api_url is None
    assert "supportdesk" in str(settings.data_dir)


def test_file_then_environment_then_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, monkeypatch, 'idle_lock_minutes = 2\napi_url = "http://file"\n')
    assert load_settings().idle_lock_minutes == 2
    monkeypatch.setenv("SUPPORTDESK_IDLE_LOCK_MINUTES", "1.5")
    settings = load_settings()
    assert settings.idle_lock_minutes == 1.5
    assert settings.api_url == "http://file"
    assert load_settings(api_url="http://flag").api_url == "http://flag"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("idle_lock_minute = 2\n", "unknown setting"),
        ('idle_lock_minutes = "soon"\n', "must be a number"),
        ("idle_lock_minutes = 0\n", "more than 0"),
        ('display_timezone = "Mars/Olympus"\n', "unknown time zone"),
        ("idle_lock_minutes = [\n", "cannot read"),
    ],
)
def test_bad_config_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    write_config(tmp_path, monkeypatch, text)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_cli_reports_a_bad_config_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from supportdesk.cli import main

    write_config(tmp_path, monkeypatch, "colour = 'blue'\n")
    assert main(["demo", "phone", "demo-agent"]) == 2
    err = capsys.readouterr().err
    assert "unknown setting(s) colour" in err
    assert "Traceback" not in err


def test_keymap_table_is_read_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, monkeypatch, '[keymap]\nlock = "f12"\n"queue.refresh" = "f5"\n')
    assert load_settings().keymap == {"lock": "f12", "queue.refresh": "f5"}
    write_config(tmp_path, monkeypatch, "keymap = 3\n")
    with pytest.raises(ConfigError, match="table of binding ids"):
        load_settings()
