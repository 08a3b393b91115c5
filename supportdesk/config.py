"""The desk's settings, in layers: defaults < config file < environment.

The config file is `config.toml` in the user's config directory (or the file
named by SUPPORTDESK_CONFIG); environment variables are SUPPORTDESK_<NAME>.
Unknown keys are errors, so a typo is caught instead of silently ignored.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "supportdesk"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    given = os.environ.get("SUPPORTDESK_CONFIG")
    if given:
        return Path(given)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


class DeskSettings(BaseSettings):
    """What an installation may tune."""

    model_config = SettingsConfigDict(env_prefix="SUPPORTDESK_", extra="forbid")

    api_url: str | None = Field(None, description="A remote auth service; none = embedded demo")
    data_dir: Path = Field(default_factory=default_data_dir, description="Embedded store's folder")
    idle_lock_minutes: float = Field(5.0, gt=0, description="Lock the desk after this idle time")
    request_timeout_s: float = Field(10.0, gt=0, description="Give up on a call after this long")
    display_timezone: str | None = Field(
        None, description="IANA zone for times on screen; none = this machine's zone"
    )


class ConfigError(ValueError):
    """The config file cannot be read or holds unknown or invalid keys."""


def load_settings(**overrides: Any) -> DeskSettings:
    """Defaults, then the config file, then the environment, then explicit overrides."""
    from_file: dict[str, Any] = {}
    path = config_file()
    if path.is_file():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
    env_names = {
        name for name in DeskSettings.model_fields if f"SUPPORTDESK_{name.upper()}" in os.environ
    }
    init = {k: v for k, v in from_file.items() if k not in env_names}
    init.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return DeskSettings(**init)
    except ValueError as exc:
        raise ConfigError(f"invalid settings ({path}): {exc}") from exc
