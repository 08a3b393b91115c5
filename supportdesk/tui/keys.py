"""Every key binding of the desk, by id: what a `[keymap]` table in config.toml may name.

The bindings live on the screens' BINDINGS; this walks the desk's modules once to
collect them, so a keymap entry naming an id that does not exist is an error at
start instead of being silently ignored.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping

from textual.binding import Binding
from textual.dom import DOMNode

import supportdesk.tui


def _desk_modules() -> Iterator[str]:
    prefix = f"{supportdesk.tui.__name__}."
    for found in pkgutil.walk_packages(supportdesk.tui.__path__, prefix):
        yield found.name


def desk_classes() -> list[type[DOMNode]]:
    """Every screen, modal, widget and the app defined in supportdesk.tui."""
    for name in _desk_modules():
        importlib.import_module(name)
    found: list[type[DOMNode]] = []
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith(supportdesk.tui.__name__) and sub not in found:
                found.append(sub)
    return found


def own_bindings(cls: type[DOMNode]) -> list[Binding]:
    """The bindings a class declares itself (not those it inherits)."""
    return [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


def binding_ids() -> dict[str, Binding]:
    """Binding id to its binding, over the whole desk."""
    ids: dict[str, Binding] = {}
    for cls in desk_classes():
        for binding in own_bindings(cls):
            if binding.id is not None:
                ids[binding.id] = binding
    return ids


def keymap_problem(keymap: Mapping[str, str]) -> str | None:
    """Why a keymap cannot be used (an id no binding has), or None when it can."""
    if not keymap:
        return None
    known = binding_ids()
    unknown = sorted(set(keymap) - set(known))
    if not unknown:
        return None
    return (
        f"[keymap] names no binding: {', '.join(unknown)}. Binding ids: {', '.join(sorted(known))}."
    )
