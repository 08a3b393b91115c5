"""The trained model, kept in the user's cache folder so the desk trains it only once.

The file is named by a key: a hash of the labelled tickets, of the code that turns a
ticket into an answer (cleaning, glossary, pipeline, threshold), and of the versions of
Python, scikit-learn, NumPy and SciPy. Change any of them and the key changes, so a stale
model is never loaded; it is retrained and the old file removed.

The file is a pickle of our own artifact, written by this module into the user's own
cache folder, never downloaded. Anything that fails to load from it (truncated,
garbage, from another version of a library) is treated as no cache: retrain and
overwrite.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
from collections.abc import Sequence
from pathlib import Path

import platformdirs

import supportdesk
from supportdesk.triage import clean, glossary, model, result
from supportdesk.triage.examples import Example, examples_digest, training_examples
from supportdesk.triage.model import TriageModel, train_model

__all__ = ["CACHE_ENV", "cache_key", "cache_path", "default_cache_dir", "load_model"]

CACHE_ENV = "SUPPORTDESK_CACHE_DIR"
"""Set to put the cache elsewhere (tests point it at a temporary folder)."""

_ARTIFACT_FORMAT = 1
_FEATURE_MODULES = (clean, glossary, model, result)
_LIBRARIES = ("scikit-learn", "numpy", "scipy")


def default_cache_dir() -> Path:
    given = os.environ.get(CACHE_ENV)
    base = Path(given) if given else Path(platformdirs.user_cache_dir("supportdesk", False))
    return base / "triage"


def cache_key(examples: Sequence[Example]) -> str:
    """What the model depends on, hashed: data, feature code, library versions."""
    from importlib import metadata  # tens of milliseconds: not at import time

    digest = hashlib.sha256()
    digest.update(f"format {_ARTIFACT_FORMAT} supportdesk {supportdesk.__version__}\n".encode())
    digest.update(f"python {platform.python_version()}\n".encode())
    for library in _LIBRARIES:
        digest.update(f"{library} {metadata.version(library)}\n".encode())
    for module in _FEATURE_MODULES:
        digest.update(Path(module.__file__ or "").read_bytes())
    digest.update(examples_digest(examples).encode())
    return digest.hexdigest()


def cache_path(key: str, cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / f"model-{key[:24]}.pickle"


def load_model(
    examples: Sequence[Example] | None = None, *, cache_dir: Path | None = None
) -> TriageModel:
    """The model for ``examples`` (the shipped set by default): from the cache, or trained.

    Blocks for about a second when it trains: call it off the UI loop. A cache folder
    that cannot be written is not an error; the model is then trained in memory.
    """
    examples = training_examples() if examples is None else tuple(examples)
    key = cache_key(examples)
    path = cache_path(key, cache_dir)
    cached = _read(path, key)
    if cached is not None:
        cached.origin = "cache"
        return cached
    trained = train_model(examples, key=key)
    with contextlib.suppress(OSError):
        _write(path, trained)
    return trained


def _read(path: Path, key: str) -> TriageModel | None:
    import pickle

    try:
        with path.open("rb") as file:
            artifact = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception:
        # A truncated or foreign file can fail in many ways (UnpicklingError, EOFError,
        # AttributeError, ImportError, ValueError...); all of them mean "train again".
        return None
    if (
        isinstance(artifact, dict)
        and artifact.get("format") == _ARTIFACT_FORMAT
        and artifact.get("key") == key
        and isinstance(artifact.get("model"), TriageModel)
        and artifact["model"].key == key
    ):
        found: TriageModel = artifact["model"]
        return found
    return None


def _write(path: Path, trained: TriageModel) -> None:
    """Write atomically (a reader never sees half a file), then drop older models."""
    import pickle
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    artifact = {"format": _ARTIFACT_FORMAT, "key": trained.key, "model": trained}
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".model-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump(artifact, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    for stale in path.parent.glob("model-*.pickle"):
        if stale != path:
            with contextlib.suppress(OSError):
                stale.unlink()
