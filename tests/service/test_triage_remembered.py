"""A queue read again and again asks the classifier only about tickets it has not seen."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

import supportdesk.triage as triage
from supportdesk.service.ops import ticket_triage
from supportdesk.triage import Triage


async def test_the_same_text_is_classified_once_and_answered_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    model = triage.classify_many

    def counting(texts: Sequence[str]) -> list[Triage]:
        asked.extend(texts)
        return model(texts)

    monkeypatch.setattr(triage, "classify_many", counting)
    monkeypatch.setattr(ticket_triage, "_answers", type(ticket_triage._answers)())
    queue = ["my code never arrives by text", "lost my phone, please reset my MFA"]

    first = await ticket_triage.triage_texts(queue)
    again = await ticket_triage.triage_texts([*queue, "the authenticator shows wrong codes"])

    assert asked == [*queue, "the authenticator shows wrong codes"]
    assert again[:2] == first
    assert again[2] == model(["the authenticator shows wrong codes"])[0]
