"""The desk's settings, in layers: defaults < config file < environment < command line.

The config file is `config.toml` in the user's config directory (or the file
named by SUPPORTDESK_CONFIG); environment variables are SUPPORTDESK_<NAME>.
Unknown keys and wrong types are errors, so a typo is caught, not ignored.

Plain dataclasses rather than pydantic: this module loads before the first
frame, and start-up is a budget.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "supportdesk"
ENV_PREFIX = "SUPPORTDESK_"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    given = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if given:
        return Path(given)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


class ConfigError(ValueError):
    """The config file or environment holds an unknown key or a bad value."""


@dataclass(frozen=True)
class DeskSettings:
    """What an installation may tune."""

    api_url: str | None = None
    """A remote auth service; none runs the embedded demo service."""
    data_dir: Path = field(default_factory=default_data_dir)
    """Folder of the embedded demo store."""
    idle_lock_minutes: float = 5.0
    """Lock the desk after this long without a key press."""
    request_timeout_s: float = 10.0
    """Give up on one API call after this long."""
    display_timezone: str | None = None
    """IANA zone for times on screen; none uses this machine's zone."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id to keys, e.g. {"lock" = "f12", "queue.refresh" = "f5"} (config file only)."""

    def __post_init__(self) -> None:
        for name in ("idle_lock_minutes", "request_timeout_s"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be more than 0")
        if self.display_timezone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.display_timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ConfigError(f"unknown time zone {self.display_timezone!r}") from exc


_FIELDS = {f.name: f for f in dataclasses.fields(DeskSettings)}


def _coerce(name: str, value: Any, source: str) -> Any:
    """Turn a file or environment value into the field's type, or say what is wrong."""
    kind = str(_FIELDS[name].type)
    if "dict" in kind:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(f"{source}: {name} must be a table of binding ids to keys")
        return dict(value)
    try:
        if "float" in kind:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if "Path" in kind:
            return Path(str(value)).expanduser()
        return None if value in ("", None) else str(value)
    except ValueError:
        raise ConfigError(f"{source}: {name} must be a number, not {value!r}") from None


def load_settings(**overrides: Any) -> DeskSettings:
    """Defaults, then the config file, then the environment, then explicit overrides."""
    values: dict[str, Any] = {}
    path = config_file()
    if path.is_file():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        unknown = sorted(set(from_file) - set(_FIELDS))
        if unknown:
            raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
        values.update({k: _coerce(k, v, str(path)) for k, v in from_file.items()})
    for name in _FIELDS:
        if name == "keymap":
            continue
        env_name = f"{ENV_PREFIX}{name.upper()}"
        if env_name in os.environ:
            values[name] = _coerce(name, os.environ[env_name], env_name)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return DeskSettings(**values)
