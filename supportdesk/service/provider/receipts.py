"""What a provider in front of another server tells the operation about a change it made.

An operation collects (`collecting()`) while it carries a change out; the provider notes
(`note()`) what the other server did: which of its records it changed and the id of the
row that server wrote in its own log, so our audit entry can name both and a lead can
cross-check the two logs. A provider may also leave a `say()` for the agent (what the
user meets next, as that server decides it). The built-in provider notes nothing.

A context variable, so providers need no extra return values: each request is one task,
and the list is shared with any task the provider starts inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Receipts:
    """What the provider noted during one change: records for the audit, words for the agent."""

    records: list[dict[str, Any]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


_current: ContextVar[Receipts | None] = ContextVar("provider_receipts", default=None)


@contextmanager
def collecting() -> Iterator[Receipts]:
    found = Receipts()
    token = _current.set(found)
    try:
        yield found
    finally:
        _current.reset(token)


def note(**record: Any) -> None:
    """One thing the other server did (no secrets: serials, ids, counts)."""
    found = _current.get()
    if found is not None:
        found.records.append(record)


def say(words: str) -> None:
    """A sentence for the agent's summary of the change."""
    found = _current.get()
    if found is not None:
        found.words.append(words)
