"""Fixtures for the fault tests: an empty store per test, on each kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.served import Served, serving
from tests.faults.stores import fresh_store
from tests.support import store_params


@pytest.fixture(params=store_params())
def served_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_store(request.param, tmp_path, "sd_faults") as url:
        yield url


@pytest.fixture(scope="module")
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A bench store of the kind given (indirect parameter) and its serve processes, per module;
    a module sets SERVE_PROCESSES to run more than one on the same store."""
    processes = getattr(request.module, "SERVE_PROCESSES", 1)
    with serving(request.param, tmp_path_factory.mktemp("served"), processes=processes) as found:
        yield found
