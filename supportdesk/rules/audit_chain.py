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


def entry_body(fields: Mapping[str, Any]) -> str:
    """The entry's canonical text: what is hashed, and what the store keeps beside the row."""
    return canonical_json({name: fields.get(name) for name in HASHED_FIELDS})


def body_hash(body: str) -> str:
    """SHA-256 of an entry's canonical text, as hex."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over the hashed fields (which include the previous entry's hash)."""
    return body_hash(entry_body(fields))


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

    An entry is *edited* when its own hash no longer matches its fields, or when
    the next entry records a different hash for it (rewritten with its hash
    recomputed: the break is named at the entry that changed); *missing* when the
    sequence skips or the first entry does not start the chain; *reordered* when
    sequence numbers go backwards.
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
        return link_break(seq, str(entry["prev_hash"]), self._prev_seq, self._prev_hash)

    def report(self) -> ChainReport:
        return ChainReport(checked=self.checked, first_break=self.first_break)


def link_break(
    seq: int, prev_hash: str, prev_seq: int | None, expected_prev: str
) -> ChainBreak | None:
    """Entry `seq` (consecutive, its own hash sound) against the entry before it.

    Both entries hash to what they hold, so the one whose hash the later entry no
    longer records is the one rewritten: the earlier.
    """
    if prev_hash == expected_prev:
        return None
    if prev_seq is None:
        return ChainBreak(seq, "missing", "the entries before it are not in the log")
    return ChainBreak(
        prev_seq,
        "edited",
        f"entry {seq} records a different hash for it: it was rewritten and its hash recomputed",
    )


class StoredWalker:
    """Checks stored entries (their canonical text kept with the row) in constant memory.

    Each entry comes as its seq, canonical text, stored hash and `prev_hash`, with
    whether the row's columns still spell that text (the store checks this itself,
    cheaply); nothing is re-encoded here, the stored text is hashed as it is.
    `moved_from` names the seq an entry's text was written under when its columns
    disagree with it (two rows swapped, say), else None.
    """

    def __init__(self, after_seq: int = 0, after_hash: str = GENESIS_HASH) -> None:
        self.checked = 0
        self.first_break: ChainBreak | None = None
        self.last_seq = after_seq if after_seq > 0 else 0
        self.last_hash = after_hash if after_seq > 0 else GENESIS_HASH

    def feed_all(self, rows: Iterable[tuple[Any, ...]]) -> bool:
        """Rows of (seq, body as UTF-8 bytes, hash, prev_hash, columns_match); False once
        broken.

        The loop is the whole cost of a verification, so it stays tight.
        """
        if self.first_break is not None:
            return False
        sha256 = hashlib.sha256
        last_seq, last_hash, checked = self.last_seq, self.last_hash, self.checked
        broken: tuple[Any, ...] | None = None
        for row in rows:
            seq, body, digest, prev_hash, same = row
            if (
                not same
                or seq != last_seq + 1
                or prev_hash != last_hash
                or sha256(body).hexdigest() != digest
            ):
                broken = row
                break
            last_seq, last_hash = seq, digest
            checked += 1
        self.last_seq, self.last_hash, self.checked = last_seq, last_hash, checked
        if broken is not None:
            self.first_break = self._judge(broken)
            return False
        return True

    def feed_joined(
        self,
        count: int,
        first_seq: int,
        last_seq: int,
        same: Any,
        bodies: bytes,
        hashes: str,
        prev_hashes: str,
    ) -> bool:
        """A whole batch at once: its entries' texts joined by line ends (a canonical
        text never holds one), their hashes and `prev_hash`es each joined, whether every
        row's columns spell its text, and its first and last seq.

        True when every entry holds (the walk moves to the batch's end); False, with
        nothing changed, when anything in it does not: feed the batch row by row
        (`feed_all`) to name where. The seqs run unbroken when the last minus the first
        is the count less one (seq is unique); each entry links to the one before when
        the joined `prev_hash`es are the walk's last hash followed by every hash but the
        batch's last.
        """
        if self.first_break is not None or not count or not same:
            return False
        if first_seq != self.last_seq + 1 or last_seq - first_seq + 1 != count:
            return False
        if len(hashes) != 64 * count or prev_hashes != self.last_hash + hashes[:-64]:
            return False
        sha256 = hashlib.sha256
        if "".join([sha256(body).hexdigest() for body in bodies.split(b"\n")]) != hashes:
            return False
        self.last_seq, self.last_hash = last_seq, hashes[-64:]
        self.checked += count
        return True

    def _judge(self, row: tuple[Any, ...]) -> ChainBreak:
        seq, body, digest, prev_hash, same = row
        prev_seq = self.last_seq if self.last_seq > 0 else None
        if prev_seq is not None and seq <= prev_seq:
            return ChainBreak(seq, "reordered", f"entry {seq} comes after entry {prev_seq}")
        if not same:
            return column_break(seq, body, digest)
        if hashlib.sha256(body).hexdigest() != digest:
            return ChainBreak(seq, "edited", "its contents no longer match its hash")
        expected = 1 if prev_seq is None else prev_seq + 1
        if seq != expected:
            return ChainBreak(seq, "missing", f"entries {expected}..{seq - 1} are not in the log")
        found = link_break(seq, prev_hash, prev_seq, self.last_hash)
        assert found is not None
        return found

    def report(self) -> ChainReport:
        return ChainReport(checked=self.checked, first_break=self.first_break)


def column_break(
    seq: int, body: bytes, digest: str, columns: Mapping[str, Any] | None = None
) -> ChainBreak:
    """A row whose columns no longer spell its canonical text: edited, or moved here.

    Given the row's columns (in hashed form), the explanation names the ones changed.
    """
    try:
        written = json.loads(body)
    except ValueError:
        written = None
    if (
        isinstance(written, dict)
        and isinstance(written.get("seq"), int)
        and written["seq"] != seq
        and hashlib.sha256(body).hexdigest() == digest
    ):
        return ChainBreak(
            seq,
            "reordered",
            f"it holds what was written as entry {written['seq']}: entries were swapped or moved",
        )
    changed = (
        [n for n in HASHED_FIELDS if written.get(n) != columns.get(n)]
        if isinstance(written, dict) and columns is not None
        else []
    )
    if changed:
        verb = "matches" if len(changed) == 1 else "match"
        return ChainBreak(seq, "edited", f"its {', '.join(changed)} no longer {verb} its hash")
    return ChainBreak(seq, "edited", "its columns no longer match its hash")


def verify_chain(entries: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Walk a whole chain (any iterable: a list, a cursor, a streamed export)."""
    walker = ChainWalker()
    for entry in entries:
        if not walker.feed(entry):
            break
    return walker.report()


# -- receipts: the head, anchored outside the store -----------------------------------------

RECEIPT_KIND = "supportdesk-audit-receipt"


def receipt_message(seq: int, head_hash: str, at: str) -> bytes:
    """The bytes a receipt's signature covers: what the head was, and when."""
    body = {"kind": RECEIPT_KIND, "seq": seq, "head_hash": head_hash, "at": at}
    return canonical_json(body).encode("utf-8")


ReceiptVerdict = Literal["holds", "truncated", "emptied", "head_missing", "rewritten", "forged"]


@dataclass(frozen=True)
class ReceiptFinding:
    """What today's log says about a receipt's head."""

    verdict: ReceiptVerdict
    explanation: str

    @property
    def holds(self) -> bool:
        return self.verdict == "holds"


def judge_receipt(
    seq: int,
    head_hash: str,
    *,
    head: tuple[int, str] | None,
    newest_seq: int | None,
    hash_at_seq: str | None,
) -> ReceiptFinding:
    """Hold a (signature-checked) receipt's head to today's log.

    `head` is the head row, `newest_seq` the newest entry there is, `hash_at_seq` the
    stored hash of entry `seq` (None when it is gone). With a sound chain, entry
    `seq` still holding the receipt's hash proves every entry up to it is unchanged.
    """
    if seq == 0:
        return ReceiptFinding("holds", "the receipt was taken of an empty log")
    if newest_seq is None:
        return ReceiptFinding(
            "emptied",
            f"the log is empty, but the receipt records entry {seq}: the log was emptied",
        )
    if head is None:
        return ReceiptFinding("head_missing", "the head row that records the newest entry is gone")
    if hash_at_seq is None:
        if newest_seq < seq:
            return ReceiptFinding(
                "truncated",
                f"the log ends at entry {newest_seq}, but the receipt records entry {seq}: "
                f"entries {newest_seq + 1}..{seq} (at least) were removed after the receipt",
            )
        return ReceiptFinding("truncated", f"entry {seq}, the receipt's head, is gone")
    if hash_at_seq != head_hash:
        return ReceiptFinding(
            "rewritten",
            f"entry {seq} is not the entry the receipt recorded: the log was rewritten",
        )
    return ReceiptFinding("holds", f"the log still holds entry {seq} as the receipt recorded it")
