"""The classifier trained once per test session, into a cache folder under tmp.

Every triage test (and any ``supportdesk triage`` it runs) reads the cache from
``SUPPORTDESK_CACHE_DIR`` pointed here, so nothing writes to the real user cache.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportdesk.triage import TriageModel, load_model
from supportdesk.triage.cache import CACHE_ENV


@pytest.fixture(scope="session")
def triage_cache_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(base)
    yield base
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="session")
def triage_model(triage_cache_base: Path) -> TriageModel:
    """The shipped model, trained on the shipped set (about a second, once)."""
    return load_model()
