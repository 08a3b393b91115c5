"""The labelled tickets the classifier learns from, kept as data in the package.

``data/tickets.jsonl`` is the training set: tickets written for this project in
English, Spanish, Polish and German, one JSON object a line with ``id``, ``branch``,
``lang`` and ``text``. ``data/held_out.jsonl`` is written in another style (agents'
call notes, chat fragments, voicemail transcripts) and is never trained on: it is the
honest check of how the model does on words it has not seen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from supportdesk.rules.tree import Branch

__all__ = [
    "HELD_OUT_FILE",
    "TRAINING_FILE",
    "Example",
    "ExamplesError",
    "examples_digest",
    "held_out_examples",
    "load_examples",
    "training_examples",
]

DATA_DIR = Path(__file__).with_name("data")
TRAINING_FILE = DATA_DIR / "tickets.jsonl"
HELD_OUT_FILE = DATA_DIR / "held_out.jsonl"


class ExamplesError(ValueError):
    """A labelled file has a line that is not a ticket with a known branch."""


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    branch: Branch
    text: str
    lang: str = "en"


def load_examples(path: Path) -> tuple[Example, ...]:
    """Read a JSON-lines file of labelled tickets; a bad line names itself."""
    examples: list[Example] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                example = Example(
                    id=str(row["id"]),
                    branch=Branch(row["branch"]),
                    text=str(row["text"]),
                    lang=str(row.get("lang", "en")),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ExamplesError(f"{path.name} line {number}: {exc}") from exc
            examples.append(example)
    return tuple(examples)


def training_examples() -> tuple[Example, ...]:
    return load_examples(TRAINING_FILE)


def held_out_examples() -> tuple[Example, ...]:
    return load_examples(HELD_OUT_FILE)


def examples_digest(examples: Iterable[Example]) -> str:
    """A hash of what the model learns from: a changed or added ticket changes it."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.branch.value, example.text]).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def texts_and_labels(examples: Sequence[Example]) -> tuple[list[str], list[str]]:
    return [e.text for e in examples], [e.branch.value for e in examples]
