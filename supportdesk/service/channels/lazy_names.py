"""A package's public names that load their module when first asked for.

A channel package names dozens of parsers, models and clients; reading the service's
settings (every start) must not load them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_getattr(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package`: each name in `homes` loads from its module
    (`package.<home>`) on first use and is then kept in the package's namespace."""

    def getattr_(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: Any = getattr(import_module(f"{package}.{home}"), name)
        setattr(import_module(package), name, value)
        return value

    return getattr_
