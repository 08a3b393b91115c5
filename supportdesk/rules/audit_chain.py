"""The audit log's hash chain: how an entry is hashed and how a chain is checked.

Pure: the service hashes entries as it appends them, and anyone holding an
export can verify it with these same functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first entry: nothing came before it."""

HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_role",
    "action",
    "target_user",
    "ticket_id",
    "reason",
    "verification",
    "outcome",
    "detail",
    "request_id",
    "prev_hash",
)
"""Every field of an entry that the hash covers, in a fixed order."""


def canonical_json(value: Any) -> str:
    """One spelling per value, so the same entry always hashes the same."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over the hashed fields (which include the previous entry's hash)."""
    body = canonical_json({name: fields.get(name) for name in HASHED_FIELDS})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


BreakKind = Literal["edited", "missing", "reordered"]


@dataclass(frozen=True)
class ChainBreak:
    """Where a chain stops being trustworthy, and how."""

    seq: int
    kind: BreakKind
    explanation: str


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking a chain from its first entry."""

    checked: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None

    def summary(self) -> str:
        if self.first_break is None:
            return f"intact, {self.checked} entries"
        b = self.first_break
        return f"broken at entry {b.seq} ({b.kind}): {b.explanation}"


class ChainWalker:
    """Checks entries one at a time, in stored order, in constant memory.

    An entry is *edited* when its own hash no longer matches its fields;
    *missing* when the sequence skips or its `prev_hash` names an entry that
    is not there; *reordered* when sequence numbers go backwards.
    """

    def __init__(self, after_seq: int = 0, after_hash: str = GENESIS_HASH) -> None:
        """Start at the beginning, or resume after an entry an earlier walk checked."""
        self.checked = 0
        self.first_break: ChainBreak | None = None
        self._prev_hash = after_hash if after_seq > 0 else GENESIS_HASH
        self._prev_seq: int | None = after_seq if after_seq > 0 else None

    def feed(self, entry: Mapping[str, Any]) -> bool:
        """Check one entry; returns False once the chain is broken."""
        if self.first_break is not None:
            return False
        seq = int(entry["seq"])
        self.first_break = self._judge(seq, entry)
        if self.first_break is not None:
            return False
        self.checked += 1
        self._prev_hash = str(entry["hash"])
        self._prev_seq = seq
        return True

    def _judge(self, seq: int, entry: Mapping[str, Any]) -> ChainBreak | None:
        expected_seq = 1 if self._prev_seq is None else self._prev_seq + 1
        if self._prev_seq is not None and seq <= self._prev_seq:
            return ChainBreak(seq, "reordered", f"entry {seq} comes after entry {self._prev_seq}")
        if entry_hash(entry) != entry["hash"]:
            return ChainBreak(seq, "edited", "its contents no longer match its hash")
        if seq != expected_seq:
            return ChainBreak(
                seq, "missing", f"entries {expected_seq}..{seq - 1} are not in the log"
            )
        if entry["prev_hash"] != self._prev_hash:
            if self._prev_seq is None:
                return ChainBreak(seq, "missing", "the entries before it are not in the log")
            return ChainBreak(
                seq, "reordered", f"it does not follow entry {self._prev_seq} in the chain"
            )
        return None

    def report(self) -> ChainReport:
        return ChainReport(checked=self.checked, first_break=self.first_break)


def verify_chain(entries: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Walk a whole chain (any iterable: a list, a cursor, a streamed export)."""
    walker = ChainWalker()
    for entry in entries:
        if not walker.feed(entry):
            break
    return walker.report()
