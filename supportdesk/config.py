"""The desk's settings, in layers: defaults < config file < environment < command line.

The config file is `config.toml` in the user's config directory (or the file
named by SUPPORTDESK_CONFIG); environment variables are SUPPORTDESK_<NAME>.
Unknown keys and wrong types are errors, so a typo is caught, not ignored.

This module stays light: the typed model (pydantic-settings, in
`supportdesk.config_model`) loads only when settings are read, which the desk
does after its first frame (start-up is a budget). `DeskSettings` is importable
from here as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

if TYPE_CHECKING:
    from supportdesk.config_model import DeskSettings as DeskSettings

APP_NAME = "supportdesk"
ENV_PREFIX = "SUPPORTDESK_"


class ConfigError(ValueError):
    """The config file or environment holds an unknown key or a bad value."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    given = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if given:
        return Path(given)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def load_settings(**overrides: Any) -> DeskSettings:
    """Defaults, then the config file, then the environment, then explicit overrides
    (the command line; a None override is "not given")."""
    from supportdesk.config_model import read_settings

    return read_settings({k: v for k, v in overrides.items() if v is not None})


def __getattr__(name: str) -> object:
    """`from supportdesk.config import DeskSettings` still works, loading the model then."""
    if name == "DeskSettings":
        from supportdesk.config_model import DeskSettings

        return DeskSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
