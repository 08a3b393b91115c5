"""Shared fixtures: a real store (SQLite file, or PostgreSQL when CI provides one),
the real service app, and the real httpx client talking to it over ASGI."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from supportdesk.api.client import SupportDeskClient
from supportdesk.embedded import client_for
from supportdesk.service.clock import Clock
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.demo.seed import seed_world
from supportdesk.service.demo.world import demo_world
from supportdesk.service.store.engine import drop_schema, make_engine, sqlite_url
from tests.support import FROZEN_NOW, PG_URL, fast_settings, store_params

hypothesis_settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, print_blob=True
)
hypothesis_settings.register_profile("explore", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
"""Property tests run the same examples every time (derandomised: a fixed seed derived from
each test), with no deadline a loaded machine could miss; HYPOTHESIS_PROFILE=explore
searches afresh on a developer's machine."""

if os.environ.get("SUPPORTDESK_REQUIRE_PG") and PG_URL is None:
    raise RuntimeError("CI asked for PostgreSQL tests but SUPPORTDESK_TEST_PG_URL is not set")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo world seeded once into a SQLite file; each test gets a copy."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "demo.sqlite3"

    async def build() -> None:
        ctx = await open_context(fast_settings(sqlite_url(path)), clock=Clock(FROZEN_NOW))
        await seed_world(ctx.engine, demo_world(), ctx.passwords, ctx.clock.now())
        await ctx.engine.dispose()

    asyncio.run(build())
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo.sqlite3"
    shutil.copy(demo_template, target)
    return target


@pytest.fixture
async def ctx(demo_db: Path) -> AsyncIterator[ServiceContext]:
    """The demo world on a SQLite file, with a clock frozen at FROZEN_NOW."""
    context = await open_context(fast_settings(sqlite_url(demo_db)), clock=Clock(FROZEN_NOW))
    yield context
    await context.engine.dispose()


@pytest.fixture
async def dict_ctx(demo_db: Path) -> AsyncIterator[ServiceContext]:
    """The demo store with the test-only dict provider behind it (no SMS, no end-user
    sign-in): what a second back end looks like to the desk (tests/providers/)."""
    from tests.providers.dict_provider import dict_context

    context = await dict_context(demo_db)
    yield context
    await context.engine.dispose()


@pytest.fixture
async def client(ctx: ServiceContext) -> AsyncIterator[SupportDeskClient]:
    async with client_for(ctx) as c:
        yield c


@pytest.fixture(params=store_params())
async def any_ctx(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ServiceContext]:
    """The demo world on each store: a fresh SQLite file, or a wiped PostgreSQL database."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "store.sqlite3")
        engine = make_engine(url)
    else:
        assert PG_URL is not None
        url = PG_URL
        engine = make_engine(url)
        await drop_schema(engine)
    context = await open_context(fast_settings(url), clock=Clock(FROZEN_NOW), engine=engine)
    await seed_world(context.engine, demo_world(), context.passwords, context.clock.now())
    yield context
    await context.engine.dispose()


@pytest.fixture
async def any_client(any_ctx: ServiceContext) -> AsyncIterator[SupportDeskClient]:
    async with client_for(any_ctx) as c:
        yield c


@pytest.fixture(scope="session", autouse=True)
def _triage_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The service triages tickets as it reads them: the model is trained once a session
    into a temporary cache, never into the developer's own."""
    before = os.environ.get("SUPPORTDESK_CACHE_DIR")
    if before is None:
        os.environ["SUPPORTDESK_CACHE_DIR"] = str(tmp_path_factory.mktemp("triage-cache"))
    yield
    if before is None:
        os.environ.pop("SUPPORTDESK_CACHE_DIR", None)


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never read the developer's own config file or data folder."""
    monkeypatch.setenv("SUPPORTDESK_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("SUPPORTDESK_DATA_DIR", str(tmp_path / "data"))
    yield
