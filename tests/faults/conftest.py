"""Fixtures for the fault tests: an empty store per test, on each kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.stores import fresh_store, served_store_params


@pytest.fixture(params=served_store_params())
def served_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_store(request.param, tmp_path, "sd_faults") as url:
        yield url
