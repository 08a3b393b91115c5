"""The desk's settings as one typed model (pydantic-settings), read in layers.

Precedence, lowest first: the defaults here < `config.toml` < SUPPORTDESK_<NAME>
environment variables < the command line. The `[keymap]` table comes from the file
only. Unknown keys and wrong types raise `ConfigError` with the setting's name and
where it was set, never a pydantic traceback.

`python -m supportdesk.config_model` prints the JSON schema of config.toml; the
checked-in copy is docs/config.schema.json (a test keeps the two equal).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from supportdesk.config import ENV_PREFIX, ConfigError, config_file, default_data_dir

FILE_ONLY = frozenset({"keymap"})
"""Settings that are tables: the config file holds them, the environment does not."""


class _Environment(EnvSettingsSource):
    """SUPPORTDESK_<NAME> for every plain setting; tables stay in the file."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name in FILE_ONLY:
            return None, field_name, False
        return super().get_field_value(field, field_name)


class DeskSettings(BaseSettings):
    """What an installation may tune."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        title="supportdesk config.toml",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    api_url: str | None = Field(
        default=None, description="A remote auth service; none runs the embedded demo service."
    )
    data_dir: Path = Field(
        default_factory=default_data_dir, description="Folder of the embedded demo store."
    )
    idle_lock_minutes: float = Field(
        default=5.0, gt=0, description="Lock the desk after this long without a key press."
    )
    request_timeout_s: float = Field(
        default=10.0, gt=0, description="Give up on one API call after this long."
    )
    display_timezone: str | None = Field(
        default=None,
        description="IANA zone for times on screen; none uses this machine's zone.",
    )
    keymap: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Binding id to keys, e.g. lock = "f12", "queue.refresh" = "f5" (config file '
            "only). The ids are listed by the desk's ? panel and the README."
        ),
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Highest first: command line, environment, then the file named at this moment."""
        path = config_file()
        try:
            from_file = TomlConfigSettingsSource(settings_cls, toml_file=path)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        return (init_settings, _Environment(settings_cls), from_file)

    @field_validator("api_url", "display_timezone", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("idle_lock_minutes", "request_timeout_s", mode="before")
    @classmethod
    def _no_booleans(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("a number, not true or false")
        return value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("display_timezone", mode="after")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r}") from exc
        return value


def read_settings(overrides: dict[str, Any]) -> DeskSettings:
    """The settings in their layers, or a ConfigError that names what is wrong and where."""
    try:
        return DeskSettings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, overrides)) from None


def _explain(exc: ValidationError, overrides: dict[str, Any]) -> str:
    unknown = sorted(str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden")
    if unknown:
        return f"{_where(unknown[0], overrides)}: unknown setting(s) {', '.join(unknown)}"
    first = exc.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else "settings"
    where = _where(name, overrides)
    if name in FILE_ONLY:
        return f"{where}: {name} must be a table of binding ids to keys"
    kind = first["type"]
    if kind == "greater_than":
        return f"{where}: {name} must be more than 0"
    if kind.startswith("float") or "a number" in first["msg"]:
        return f"{where}: {name} must be a number, not {first.get('input')!r}"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {name}: {message}"


def _where(name: str, overrides: dict[str, Any]) -> str:
    """Which layer set `name`: the command line, the environment or the file."""
    if name in overrides:
        return "command line"
    env_name = f"{ENV_PREFIX}{name.upper()}"
    if name not in FILE_ONLY and env_name in os.environ:
        return env_name
    return str(config_file())


def json_schema() -> dict[str, Any]:
    """The JSON schema of config.toml, as published in docs/config.schema.json."""
    return DeskSettings.model_json_schema()


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
