"""Which branch each ticket belongs to: the classifier's guess, off the event loop.

A ticket triaged on arrival keeps the guess made then (`store_arrival_triage`); any
other ticket (the demo seed, tickets from before triage) is classified when it is read,
and that answer is not stored: the model is deterministic, so the process remembers
the answers it gave (`ANSWERS_KEPT` texts, by digest) and a queue read again and again —
every desk lists the queue — asks the model only about tickets it has not seen (on a
busy machine a batch costs a millisecond or more a ticket, the largest CPU cost of a
queue page). Loading the model (scikit-learn, about a second from its cache)
happens once per process, in a thread, so the service's loop — and the embedded desk
sharing it — never waits on it. Even the light `supportdesk.triage` package is imported
only when a ticket is first read: the embedded service starts without it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import BranchCorrection, BranchGuess, TicketTriage
from supportdesk.rules.tree import Branch
from supportdesk.service.store import tickets

if TYPE_CHECKING:
    from supportdesk.triage import Guess, Source, Triage

__all__ = [
    "classify_rows",
    "correction_view",
    "store_arrival_triage",
    "triage_texts",
    "triage_view",
]


ANSWERS_KEPT = 4096
"""How many texts' answers a process remembers (the least recently read go first)."""
_answers: OrderedDict[bytes, Triage] = OrderedDict()


async def triage_texts(texts: Sequence[str]) -> list[Triage]:
    """The model's answers, remembered ones at once, the rest in a worker thread (the
    first call loads the model there). The cache is touched only on the event loop."""
    if not texts:
        return []
    keys = [hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest() for text in texts]
    found: list[Triage | None] = [_answers.get(key) for key in keys]
    missing = [i for i, answer in enumerate(found) if answer is None]
    if missing:
        from supportdesk.triage import classify_many

        fresh = await asyncio.to_thread(classify_many, [texts[i] for i in missing])
        for i, answer in zip(missing, fresh, strict=True):
            found[i] = answer
            _answers[keys[i]] = answer
        while len(_answers) > ANSWERS_KEPT:
            _answers.popitem(last=False)
    for key in keys:
        if key in _answers:
            _answers.move_to_end(key)
    return [answer for answer in found if answer is not None]


def triage_view(answer: Triage) -> TicketTriage:
    return TicketTriage(
        branch=answer.code,
        confidence=round(answer.confidence, 3),
        unsure=answer.unsure,
        top=[
            BranchGuess(branch=g.branch.value, confidence=round(g.confidence, 3))
            for g in answer.top
        ],
        source=answer.source,
    )


_CODES = frozenset(b.value for b in Branch)


def _stored(row: Mapping[Any, Any]) -> Triage:
    """A guess read back from the store, judged by today's threshold."""
    from supportdesk.triage import Guess, Triage

    top: list[Guess] = []
    if row["branch"] in _CODES:
        top.append(Guess(Branch(row["branch"]), float(row["confidence"])))
        if row["runner_up"] in _CODES:
            top.append(Guess(Branch(row["runner_up"]), float(row["runner_up_confidence"] or 0)))
    source: Source = "model"
    if row["source"] in ("keywords", "empty"):
        source = "keywords" if row["source"] == "keywords" else "empty"
    return Triage(top=tuple(top), source=source)


async def classify_rows(
    conn: AsyncConnection, rows: Sequence[Mapping[Any, Any]]
) -> dict[str, TicketTriage]:
    """Each ticket's triage: stored on arrival, or classified now."""
    stored = await tickets.triage_rows(conn, [r["id"] for r in rows])
    found = {ticket_id: triage_view(_stored(row)) for ticket_id, row in stored.items()}
    fresh = [r for r in rows if r["id"] not in stored]
    from supportdesk.triage import ticket_text

    answers = await triage_texts([ticket_text(r["subject"], r["text"]) for r in fresh])
    for row, answer in zip(fresh, answers, strict=True):
        found[row["id"]] = triage_view(answer)
    return found


async def store_arrival_triage(
    conn: AsyncConnection, ticket_id: str, answer: Triage, *, at: datetime
) -> None:
    """Keep the guess made when the ticket arrived (classify it with `triage_texts`
    before opening the transaction: the model must not load while it is held)."""
    best = answer.top[0] if answer.top else None
    second = answer.top[1] if len(answer.top) > 1 else None
    await tickets.store_triage(
        conn,
        ticket_id,
        branch=best.branch.value if best else None,
        confidence=best.confidence if best else 0.0,
        runner_up=second.branch.value if second else None,
        runner_up_confidence=second.confidence if second else None,
        source=answer.source,
        at=at,
    )


def correction_view(row: Mapping[Any, Any] | None) -> BranchCorrection | None:
    if row is None:
        return None
    return BranchCorrection(
        branch=row["branch"], guessed=row["guessed"], by=row["agent"], at=row["at"]
    )
