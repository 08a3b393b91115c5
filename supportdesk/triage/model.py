"""The classifier: character and word n-grams, a linear SVM, calibrated probabilities.

Measured against the alternatives in bench/triage.py (logistic regression, raw SVM
scores, isotonic calibration): a LinearSVC on TF-IDF of character n-grams within words
(typos, inflections and run-together words still share most of their n-grams) plus
word unigrams and bigrams, with Platt-scaled probabilities from 5-fold calibration,
is as accurate as the best and trains in about a second.

scikit-learn is imported inside the functions that need it, never at module level:
importing ``supportdesk.triage`` must stay cheap for the desk's first frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from supportdesk.rules.tree import Branch
from supportdesk.triage.clean import clean_ticket
from supportdesk.triage.examples import Example, texts_and_labels
from supportdesk.triage.glossary import gloss
from supportdesk.triage.result import UNSURE_BELOW, Guess, Triage

__all__ = ["TriageModel", "build_pipeline", "prepare", "train_model"]

_LETTER_OR_DIGIT = str.isalnum


def prepare(text: str, *, glossary: bool = True) -> str:
    """The text the vectorisers see: the user's own words, glossed."""
    cleaned = clean_ticket(text)
    return gloss(cleaned) if glossary else cleaned


def build_pipeline(*, calibration_folds: int = 5) -> Any:
    """An untrained scikit-learn pipeline (``Any``: scikit-learn ships no type hints)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    characters = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, strip_accents="unicode"
    )
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        sublinear_tf=True,
        strip_accents="unicode",
        token_pattern=r"(?u)\b\w+\b",
    )
    classifier = CalibratedClassifierCV(
        LinearSVC(C=1.0, random_state=0), cv=calibration_folds, method="sigmoid"
    )
    return make_pipeline(make_union(characters, words), classifier)


class TriageModel:
    """A trained classifier and the cache key it was trained under."""

    def __init__(self, pipeline: Any, key: str, threshold: float = UNSURE_BELOW) -> None:
        self._pipeline = pipeline
        self.classes: tuple[Branch, ...] = tuple(Branch(c) for c in pipeline.classes_)
        self.key = key
        self.threshold = threshold
        self.origin: Literal["training", "cache"] = "training"
        """Where this instance came from; set by the cache on load."""

    def classify(self, text: str) -> Triage:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Triage]:
        """One answer per text, in order; a text with no words is answered empty."""
        prepared = [prepare(text) for text in texts]
        answers: list[Triage | None] = [
            None if any(map(_LETTER_OR_DIGIT, p)) else Triage.empty() for p in prepared
        ]
        todo = [i for i, answer in enumerate(answers) if answer is None]
        if todo:
            probabilities = self._pipeline.predict_proba([prepared[i] for i in todo])
            for i, row in zip(todo, probabilities, strict=True):
                ranked = sorted(zip(row, self.classes, strict=True), reverse=True)[:2]
                top = tuple(Guess(branch, float(p)) for p, branch in ranked)
                answers[i] = Triage(top=top, threshold=self.threshold)
        return [answer if answer is not None else Triage.empty() for answer in answers]


def train_model(examples: Sequence[Example], *, key: str = "") -> TriageModel:
    """Fit a fresh pipeline on ``examples`` (about a second for the shipped set)."""
    texts, labels = texts_and_labels(examples)
    pipeline = build_pipeline()
    pipeline.fit([prepare(text) for text in texts], labels)
    return TriageModel(pipeline, key)
