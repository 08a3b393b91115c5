"""The hash chain as a lead relies on it: intact, or the first bad entry and how."""

from __future__ import annotations

from typing import Any

from supportdesk.rules.audit_chain import GENESIS_HASH, ChainWalker, entry_hash, verify_chain


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
