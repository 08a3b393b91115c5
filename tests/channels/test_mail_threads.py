"""Ticket numbers in subjects and Message-IDs, and the headers that keep a reply threaded."""

from __future__ import annotations

import pytest

from supportdesk.service.channels.mail import find_ticket_ref, reply_message_id, reply_subject
from supportdesk.service.channels.mail.threads import reply_references, ticket_from_message_ids


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Code rejected", "Re: Code rejected [T-1042]"),
        ("Re: Code rejected", "Re: Code rejected [T-1042]"),
        ("RE: AW: Odp: Code rejected [T-1042]", "Re: Code rejected [T-1042]"),
        ("Re[2]: [t-1042] Code rejected", "Re: Code rejected [T-1042]"),
        ("Fwd: SV: RV: Código", "Re: Código [T-1042]"),
        ("", "Re: [T-1042]"),
    ],
)
def test_reply_subject_has_one_re_and_one_tag(subject: str, expected: str) -> None:
    assert reply_subject(subject, "T-1042") == expected


def test_ticket_numbers_are_found_in_any_case_and_spacing() -> None:
    assert find_ticket_ref("Re: still broken [ t-77 ]") == "T-77"
    assert find_ticket_ref("T-77 without brackets") is None
    assert find_ticket_ref("[X-77]") is None


def test_our_reply_ids_name_the_ticket_only_for_our_domain() -> None:
    ours = reply_message_id("key-123456", "T-1042", "Desk.Test")
    assert ours == reply_message_id("key-123456", "T-1042", "desk.test")
    assert ours != reply_message_id("key-123457", "T-1042", "desk.test")
    assert ticket_from_message_ids(["<x@user.test>", ours], "desk.test") == "T-1042"
    assert ticket_from_message_ids([ours], "other.test") is None
    forged = ours.replace("sd.", "xx.")
    assert ticket_from_message_ids([forged], "desk.test") is None


def test_references_end_with_the_parent_and_keep_the_first_of_a_long_thread() -> None:
    assert reply_references("<p@x>", ("<a@x>", "<b@x>")) == ("<a@x>", "<b@x>", "<p@x>")
    assert reply_references("<a@x>", ("<a@x>",)) == ("<a@x>",)
    assert reply_references(None, ()) == ()
    long = tuple(f"<{n}@x>" for n in range(40))
    refs = reply_references("<p@x>", long)
    assert len(refs) == 20 and refs[0] == "<0@x>" and refs[-1] == "<p@x>"
