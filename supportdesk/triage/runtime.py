"""One model per process, loaded once, and a guess that never waits for it.

The desk calls ``preload()`` in a thread after its first frame and ``guess()`` when it
paints the queue: until the model is ready ``guess`` answers with the keyword guesser
of ``rules.tree`` (marked ``source="keywords"``, always "unsure"), afterwards with the
model. Scripts and the CLI call ``classify()``, which loads the model when needed.
"""

from __future__ import annotations

import threading
from pathlib import Path

from supportdesk.rules.tree import suggest_branch
from supportdesk.triage.model import TriageModel
from supportdesk.triage.result import Guess, Triage

__all__ = ["classify", "guess", "keyword_guess", "model_ready", "preload"]

_lock = threading.Lock()
_model: TriageModel | None = None


def preload(cache_dir: Path | None = None) -> TriageModel:
    """Load (or train, the first time) the process's model; blocking, thread-safe."""
    global _model
    with _lock:
        if _model is None:
            from supportdesk.triage.cache import load_model

            _model = load_model(cache_dir=cache_dir)
        return _model


def model_ready() -> bool:
    return _model is not None


def classify(text: str) -> Triage:
    """The model's answer for one ticket (loads the model first if it must)."""
    return preload().classify(text)


def guess(text: str) -> Triage:
    """The model's answer if it is loaded, else the keyword guess; never blocks."""
    current = _model
    return current.classify(text) if current is not None else keyword_guess(text)


def keyword_guess(text: str) -> Triage:
    branch = suggest_branch(text)
    top = () if branch is None else (Guess(branch, 0.0),)
    return Triage(top=top, source="keywords")


def _forget() -> None:
    """Drop the process's model (tests that load from a fresh cache use this)."""
    global _model
    with _lock:
        _model = None
