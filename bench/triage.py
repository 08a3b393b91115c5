"""How well triage puts tickets in their branch, and what it costs.

Prints, for the shipped model (glossary + character/word n-grams + calibrated
LinearSVC): stratified k-fold cross-validated accuracy on the labelled set (repeated,
mean and spread), accuracy per language, per-branch precision and recall, the
confusion matrix, how many answers are "unsure" at the threshold and how right the
others are; then the held-out set (another style, never trained on) and the demo
queue. Beside it, measured in the same run on the same folds: the keyword guesser the
desk used before (rules.tree.suggest_branch), the same model without the glossary,
and logistic regression in place of the SVM. Last, training time, a cold start from
the cache in a fresh interpreter, and classify latency.

    .venv/bin/python bench/triage.py [--folds 5] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from supportdesk.rules.tree import Branch, suggest_branch
from supportdesk.service.demo.world import demo_world
from supportdesk.triage import (
    UNSURE_BELOW,
    Example,
    held_out_examples,
    ticket_text,
    training_examples,
)
from supportdesk.triage.model import build_pipeline, prepare, train_model

BRANCHES = [b.value for b in Branch]
SHORT = {
    "sms_not_received": "sms",
    "code_not_accepted": "code",
    "lost_device": "lost",
    "why_prompted": "why",
    "service_account": "svc",
    "setup_help": "setup",
    "not_mfa": "notmfa",
}
DEMO_EXPECTED = {
    **dict.fromkeys(
        ["T-1042", "T-1043", "T-1044", "T-1045", "T-1046", "T-1061"], "sms_not_received"
    ),
    **dict.fromkeys(["T-1047", "T-1048"], "code_not_accepted"),
    **dict.fromkeys(["T-1049", "T-1050", "T-1051", "T-1052"], "lost_device"),
    **dict.fromkeys(["T-1053", "T-1054", "T-1055", "T-1056", "T-1057"], "why_prompted"),
    **dict.fromkeys(["T-1058", "T-1059"], "service_account"),
    "T-1060": "setup_help",
}

Variant = tuple[Callable[[], Any], Callable[[str], str]]


def _logistic() -> Any:
    from sklearn.linear_model import LogisticRegression

    pipeline = build_pipeline()
    pipeline.steps[-1] = ("logisticregression", LogisticRegression(C=30, max_iter=3000))
    return pipeline


VARIANTS: dict[str, Variant] = {
    "shipped: glossary + n-grams + calibrated LinearSVC": (build_pipeline, prepare),
    "same, without the glossary": (build_pipeline, lambda t: prepare(t, glossary=False)),
    "glossary + n-grams + logistic regression": (_logistic, prepare),
}


def cross_validate(
    variant: Variant, examples: Sequence[Example], folds: int, repeats: int
) -> tuple[list[float], list[list[Any]], Any]:
    """Accuracy of each repeat, and each repeat's out-of-fold probabilities."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    make, prep = variant
    texts = [prep(e.text) for e in examples]
    labels = np.array([e.branch.value for e in examples])
    accuracies, probabilities = [], []
    classes = None
    for seed in range(repeats):
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        proba = cross_val_predict(make(), texts, labels, cv=splitter, method="predict_proba")
        classes = np.array(sorted(set(labels)))
        predicted = classes[proba.argmax(axis=1)]
        accuracies.append(float((predicted == labels).mean()))
        probabilities.append(proba)
    return accuracies, probabilities, classes


def report_shipped(examples: Sequence[Example], folds: int, repeats: int) -> None:
    import numpy as np
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    variant = VARIANTS["shipped: glossary + n-grams + calibrated LinearSVC"]
    accuracies, probabilities, classes = cross_validate(variant, examples, folds, repeats)
    labels = np.array([e.branch.value for e in examples])
    langs = np.array([e.lang for e in examples])
    print(f"labelled set: {len(examples)} tickets, {Counter(langs.tolist())}")
    print(
        f"cross-validated accuracy ({folds}-fold stratified, {repeats} repeats): "
        f"{statistics.mean(accuracies):.1%} (min {min(accuracies):.1%}, "
        f"max {max(accuracies):.1%}; target 95%)"
    )
    pooled = np.vstack(probabilities)
    truth = np.concatenate([labels] * repeats)
    predicted = classes[pooled.argmax(axis=1)]
    every_lang = np.concatenate([langs] * repeats)
    per_lang = "  ".join(
        f"{lang} {(predicted[every_lang == lang] == truth[every_lang == lang]).mean():.1%}"
        for lang in ("en", "es", "pl", "de")
    )
    print(f"per language: {per_lang}")
    precision, recall, _, support = precision_recall_fscore_support(
        truth, predicted, labels=BRANCHES, zero_division=0
    )
    print("\nper branch (pooled over repeats)   precision  recall  tickets")
    for branch, p, r, n in zip(BRANCHES, precision, recall, support, strict=True):
        print(f"  {branch:<30} {p:9.1%} {r:7.1%} {n // repeats:8d}")
    matrix = confusion_matrix(labels, classes[probabilities[0].argmax(axis=1)], labels=BRANCHES)
    print("\nconfusion matrix (first repeat; rows: true branch, columns: predicted)")
    print("  " + " " * 8 + "".join(f"{SHORT[b]:>7}" for b in BRANCHES))
    for branch, row in zip(BRANCHES, matrix, strict=True):
        print(f"  {SHORT[branch]:<8}" + "".join(f"{n:7d}" for n in row))
    confidence = pooled.max(axis=1)
    print("\nthreshold  unsure  accuracy of the rest")
    for threshold in (0.4, UNSURE_BELOW, 0.6, 0.7):
        sure = confidence >= threshold
        mark = "  <- shipped" if threshold == UNSURE_BELOW else ""
        right = (predicted[sure] == truth[sure]).mean()
        print(f"  {threshold:.2f}  {1 - sure.mean():7.1%}  {right:9.1%}{mark}")


def report_references(examples: Sequence[Example], folds: int, repeats: int) -> None:
    keyword = [suggest_branch(e.text) == e.branch for e in examples]
    print("\nreferences, same folds")
    print(
        f"  {'keyword guesser (rules.tree.suggest_branch), no training':<55} {_mean(keyword):.1%}"
    )
    for name, variant in list(VARIANTS.items())[1:]:
        accuracies, _, _ = cross_validate(variant, examples, folds, repeats)
        print(f"  {name:<55} {statistics.mean(accuracies):.1%}")


def report_held_out(examples: Sequence[Example]) -> None:
    model = train_model(examples)
    held_out = held_out_examples()
    answers = model.classify_many([e.text for e in held_out])
    right = [a.top[0].branch == e.branch for a, e in zip(answers, held_out, strict=True)]
    unsure = sum(a.unsure for a in answers)
    keyword = [suggest_branch(e.text) == e.branch for e in held_out]
    print(
        f"\nheld-out set ({len(held_out)} tickets in another style, never trained on): "
        f"{_mean(right):.1%} right, {unsure} unsure; keyword guesser {_mean(keyword):.1%}"
    )
    for answer, example, ok in zip(answers, held_out, right, strict=True):
        if not ok:
            print(
                f"  missed {example.id} ({example.branch.value} -> {answer.code}): {example.text}"
            )
    tickets = demo_world().tickets
    demo = model.classify_many([ticket_text(t.subject, t.text) for t in tickets])
    demo_right = sum(
        a.branch is not None and a.branch.value == DEMO_EXPECTED[t.id]
        for t, a in zip(tickets, demo, strict=True)
    )
    lowest = min(a.confidence for a in demo)
    print(
        f"demo queue: {demo_right}/{len(tickets)} in their branch (lowest confidence {lowest:.2f})"
    )


def report_costs(examples: Sequence[Example]) -> None:
    fits = []
    for _ in range(3):
        start = time.perf_counter()
        model = train_model(examples)
        fits.append(time.perf_counter() - start)
    ticket = "Hi, the code from my authenticator app is rejected every time. Thanks, Jo"
    single = []
    for _ in range(200):
        start = time.perf_counter()
        model.classify(ticket)
        single.append(time.perf_counter() - start)
    batch_texts = [e.text for e in examples]
    start = time.perf_counter()
    model.classify_many(batch_texts)
    batch = (time.perf_counter() - start) / len(batch_texts)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SUPPORTDESK_CACHE_DIR": cache}
        cold_train = _child(env)  # first start: no cache yet, trains and writes it
        cold_cache = statistics.median(_child(env) for _ in range(3))
    print("\ncosts")
    fit = statistics.median(fits) * 1000
    print(f"  training on the full set:          {fit:7.0f} ms (median of 3)")
    print(f"  first start, fresh interpreter:    {cold_train * 1000:7.0f} ms (import, train, save)")
    print(
        f"  later starts, from the cache:      {cold_cache * 1000:7.0f} ms (import sklearn, load)"
    )
    print(
        f"  classify one ticket:               {statistics.median(single) * 1000:7.2f} ms (median)"
    )
    print(f"  classify in a batch:               {batch * 1000:7.2f} ms per ticket")


_CHILD = """
import time
start = time.perf_counter()
from supportdesk.triage import classify
classify("my phone was stolen")
print(time.perf_counter() - start)
"""


def _child(env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def _mean(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the reference variants")
    args = parser.parse_args()
    examples = training_examples()
    report_shipped(examples, args.folds, args.repeats)
    if not args.quick:
        report_references(examples, args.folds, args.repeats)
    report_held_out(examples)
    report_costs(examples)


if __name__ == "__main__":
    main()
