"""A whole-log export reads the SQLite store's file front to back beside it, so a
file not yet in the OS cache is read at the disk's sequential rate; the reading stops
with the export, and a store that is not a file (PostgreSQL) reads nothing extra."""

from __future__ import annotations

import threading
from pathlib import Path

from supportdesk.api.audit import AuditFilter, jsonl_lines
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_log import iter_batches, iter_export
from supportdesk.service.store.file_warming import read_through, store_file, warming


async def test_only_a_sqlite_store_has_a_file_to_read(any_ctx: ServiceContext) -> None:
    found = store_file(any_ctx.engine)
    if any_ctx.engine.dialect.name == "sqlite":
        assert found is not None and found.is_file() and found.name == "store.sqlite3"
    else:
        assert found is None


def test_the_file_is_read_to_its_end_unless_told_to_stop(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite3"
    store.write_bytes(b"x" * 3_500_000)  # more than three reads' worth
    assert read_through(store, threading.Event()) == 3_500_000
    stopped = threading.Event()
    stopped.set()
    assert read_through(store, stopped) == 0
    assert read_through(tmp_path / "gone.sqlite3", threading.Event()) == 0


async def test_the_whole_log_exported_beside_the_reading_is_the_whole_log(
    any_ctx: ServiceContext,
) -> None:
    everything = AuditFilter()
    entries = [r async for rows in iter_batches(any_ctx.engine, everything) for r in rows]
    text = "".join([t async for t, _n, _last in iter_export(any_ctx.engine, everything, "jsonl")])
    assert entries and text == jsonl_lines(entries)
    async with warming(any_ctx.engine):  # twice at once: each reads on its own
        again = [t async for t, _n, _l in iter_export(any_ctx.engine, everything, "jsonl")]
    assert "".join(again) == text
