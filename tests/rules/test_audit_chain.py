"""The hash chain as a lead relies on it: intact, or the first bad entry and how."""

from __future__ import annotations

from typing import Any

from supportdesk.rules.audit_chain import (
    GENESIS_HASH,
    ChainWalker,
    StoredWalker,
    entry_body,
    entry_hash,
    verify_chain,
)


def chain(n: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        fields: dict[str, Any] = {
            "seq": seq,
            "at": f"2026-11-27T10:{seq:02d}:00+00:00",
            "actor": "demo-agent",
            "actor_role": "agent",
            "action": "ticket.resolve",
            "target_user": "u1002",
            "ticket_id": f"T-{1000 + seq}",
            "reason": "done",
            "verification": None,
            "outcome": "success",
            "detail": None,
            "request_id": None,
            "prev_hash": prev,
        }
        fields["hash"] = prev = entry_hash(fields)
        entries.append(fields)
    return entries


def test_an_untouched_chain_is_intact() -> None:
    report = verify_chain(chain(5))
    assert report.intact and report.summary() == "intact, 5 entries"


def test_an_edited_field_names_that_entry() -> None:
    entries = chain(5)
    entries[2]["outcome"] = "failed"
    report = verify_chain(entries)
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.kind) == (3, "edited")
    assert report.checked == 2


def test_a_removed_entry_is_missing() -> None:
    entries = chain(5)
    del entries[1]
    report = verify_chain(entries)
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.kind) == (3, "missing")
    assert "2..2" in report.first_break.explanation


def test_entries_out_of_order_are_reordered() -> None:
    entries = chain(5)
    entries[1], entries[2] = entries[2], entries[1]
    report = verify_chain(entries)
    assert report.first_break is not None
    assert report.first_break.kind in ("missing", "reordered")
    assert report.first_break.seq == 3


def test_a_rehashed_forgery_is_named_as_an_edit_of_that_entry() -> None:
    entries = chain(4)
    entries[1]["reason"] = "forged"
    entries[1]["hash"] = entry_hash(entries[1])
    report = verify_chain(entries)
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.kind) == (2, "edited")
    assert "entry 3 records a different hash" in report.first_break.explanation


def test_a_walk_resumes_after_a_checked_entry() -> None:
    entries = chain(6)
    walker = ChainWalker(after_seq=3, after_hash=entries[2]["hash"])
    assert all(walker.feed(e) for e in entries[3:])
    assert walker.report().intact and walker.checked == 3
    wrong = ChainWalker(after_seq=3, after_hash=entries[1]["hash"])
    assert not wrong.feed(entries[3])


# -- a stored batch, checked whole ------------------------------------------------------------


def stored(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """As the store hands entries over row by row: (seq, text, hash, prev_hash, same)."""
    return [(e["seq"], entry_body(e).encode(), e["hash"], e["prev_hash"], True) for e in entries]


def joined(rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The same rows as the store joins a batch (see store/audit_verify.py)."""
    return (
        len(rows),
        rows[0][0],
        rows[-1][0],
        all(r[4] for r in rows),
        b"\n".join(r[1] for r in rows),
        "".join(r[2] for r in rows),
        "".join(r[3] for r in rows),
    )


def test_an_intact_batch_is_taken_whole_and_the_walk_resumes_after_it() -> None:
    rows = stored(chain(9))
    walker = StoredWalker()
    assert walker.feed_joined(*joined(rows[:4]))
    assert walker.feed_joined(*joined(rows[4:]))
    assert (walker.checked, walker.last_seq, walker.last_hash) == (9, 9, rows[-1][2])
    assert walker.report().intact


def test_a_batch_with_anything_wrong_is_left_to_the_row_by_row_walk() -> None:
    rows = stored(chain(6))
    edited = [*rows]
    edited[2] = (3, edited[2][1].replace(b"done", b"undone"), *edited[2][2:])
    moved = [*rows]
    moved[3] = (*moved[3][:4], False)  # its columns no longer spell its text
    relinked = chain(6)
    relinked[2]["prev_hash"] = "f" * 64  # rewritten, its own hash recomputed
    relinked[2]["hash"] = entry_hash(relinked[2])
    with_line_end = [*rows]
    with_line_end[1] = (2, with_line_end[1][1] + b"\n", *with_line_end[1][2:])
    for label, bad, walker in (
        ("an edited text", edited, StoredWalker()),
        ("columns that disagree", moved, StoredWalker()),
        ("a gap", rows[:2] + rows[3:], StoredWalker()),
        ("a broken link", stored(relinked), StoredWalker()),
        ("a text holding a line end", with_line_end, StoredWalker()),
        ("a walk resumed elsewhere", rows[2:], StoredWalker(1, rows[0][2])),
    ):
        before = (walker.checked, walker.last_seq, walker.last_hash)
        assert not walker.feed_joined(*joined(bad)), label
        assert (walker.checked, walker.last_seq, walker.last_hash) == before, label
        assert walker.first_break is None, label  # the row-by-row walk names it
        assert not walker.feed_all(bad), label
