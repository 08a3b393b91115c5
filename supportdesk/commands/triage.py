r"""``supportdesk triage [FILE] [--json]``: the classifier's branch for each ticket text.

For scripts, and for checking the classifier on tickets it has never seen. Reads one
ticket a line (standard input when no file is named; a literal ``\n`` in a line stands
for a line break, so an e-mail with its signature and quoted reply fits on one line)
and prints one answer a line, in order: the branch code (or ``unsure``) and the
confidence, then the two best guesses. With ``--json``, one JSON object a line with
``branch``, ``confidence``, ``top`` and ``source``. A blank line is answered
``unsure 0.00`` so answers stay aligned with their lines. Exit status 2 when the file
cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from supportdesk.triage import Triage

EXIT_UNREADABLE = 2
_BATCH = 64


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``triage`` subcommand to the main CLI's subparsers."""
    parser = subparsers.add_parser(
        "triage",
        help="guess each ticket's branch (one ticket text a line)",
        description=(
            "Guess the troubleshooting branch of ticket texts, one a line (standard input "
            "when no FILE is given; write a line break inside a ticket as \\n). Prints the "
            "branch code or 'unsure', the confidence and the two best guesses."
        ),
    )
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="ticket texts")
    parser.add_argument("--json", action="store_true", help="one JSON object a line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Answer every line of ``args.file`` (or standard input) on standard output."""
    if args.file is None:
        return _answer(sys.stdin, as_json=args.json)
    try:
        with args.file.open(encoding="utf-8") as lines:
            return _answer(lines, as_json=args.json)
    except (OSError, UnicodeDecodeError) as error:
        print(f"triage: cannot read {str(args.file)!r}: {error}", file=sys.stderr)
        return EXIT_UNREADABLE


def _answer(lines: TextIO, *, as_json: bool) -> int:
    # Imported here: the model (and scikit-learn) is not needed for the desk's start-up.
    from supportdesk.triage import preload, unescape_line

    model = preload()
    size = 1 if lines.isatty() else _BATCH  # typed by hand: answer each line at once
    for batch in _batches((unescape_line(line) for line in lines), size):
        for answer in model.classify_many(batch):
            print(json.dumps(answer.as_json()) if as_json else line_for(answer))
        sys.stdout.flush()
    return 0


def line_for(answer: Triage) -> str:
    """``code confidence [best others]``: e.g. ``unsure 0.41 lost_device:0.41 ...``."""
    guesses = " ".join(f"{g.branch.value}:{g.confidence:.2f}" for g in answer.top)
    return f"{answer.code}\t{answer.confidence:.2f}" + (f"\t{guesses}" if guesses else "")


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
