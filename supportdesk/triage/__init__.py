"""Triage: which branch of the tree a ticket belongs to, from its words alone.

A text classifier trained on the labelled tickets shipped in ``data/``; it answers a
branch with a confidence, "unsure" below a threshold, and the two best guesses.
Importing this package is cheap: scikit-learn loads only when a model is trained or
read from the cache (``preload``/``classify``/``load_model``), so the desk can do that
in a thread after its first frame.

    from supportdesk.triage import classify, ticket_text
    answer = classify(ticket_text(ticket.subject, ticket.text))
    answer.branch        # Branch, or None when unsure
    answer.confidence    # 0..1
    answer.top           # the best two Guess(branch, confidence)
"""

from supportdesk.triage.cache import cache_key, default_cache_dir, load_model
from supportdesk.triage.clean import clean_ticket, ticket_text, unescape_line
from supportdesk.triage.examples import (
    Example,
    held_out_examples,
    load_examples,
    training_examples,
)
from supportdesk.triage.model import TriageModel, train_model
from supportdesk.triage.result import UNSURE, UNSURE_BELOW, Guess, Source, Triage
from supportdesk.triage.runtime import (
    classify,
    classify_many,
    guess,
    keyword_guess,
    model_ready,
    preload,
)

__all__ = [
    "UNSURE",
    "UNSURE_BELOW",
    "Example",
    "Guess",
    "Source",
    "Triage",
    "TriageModel",
    "cache_key",
    "classify",
    "classify_many",
    "clean_ticket",
    "default_cache_dir",
    "guess",
    "held_out_examples",
    "keyword_guess",
    "load_examples",
    "load_model",
    "model_ready",
    "preload",
    "ticket_text",
    "train_model",
    "training_examples",
    "unescape_line",
]
