"""A server takes its first request only once what first requests need is loaded: the
triage model (about a second of CPU, holding the interpreter), the numbering plans and
FastAPI's routers. Loaded beside the first requests instead, every request that arrived
meanwhile waited behind it (a first ticket list took 0.8 s)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportdesk.service.http.app import build_app
from supportdesk.service.store.engine import reading, sqlite_url
from supportdesk.service.store.schema import audit_log
from supportdesk.triage import runtime
from tests.support import fast_settings


async def test_a_server_is_up_only_once_its_triage_model_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "_model", None)  # as in a freshly started process
    app = build_app(settings=fast_settings(sqlite_url(tmp_path / "served.sqlite3")))
    async with app.router.lifespan_context(app):
        assert runtime.model_ready()  # nothing has asked for a ticket yet
        async with reading(app.state.ctx.engine) as conn:  # the routes walked, nothing written
            assert (await conn.execute(select(func.count()).select_from(audit_log))).scalar() == 0


async def test_a_server_leaves_what_start_up_made_out_of_every_collection(
    tmp_path: Path,
) -> None:
    """A full collection would walk every module and model loaded at start: a pause of
    tens of milliseconds that any request could land in. Stopping gives them back."""
    before = gc.get_freeze_count()
    app = build_app(settings=fast_settings(sqlite_url(tmp_path / "served.sqlite3")))
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > before + 10_000
    assert gc.get_freeze_count() == before


async def test_the_embedded_service_starts_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk's own service has no lifespan of this kind: its sign-in comes first."""
    from supportdesk.service.context import open_context

    monkeypatch.setattr(runtime, "_model", None)
    ctx = await open_context(fast_settings(sqlite_url(tmp_path / "desk.sqlite3")))
    try:
        app = build_app(ctx, lazy=True)
        async with app.router.lifespan_context(app):
            assert not runtime.model_ready()
    finally:
        await ctx.aclose()
