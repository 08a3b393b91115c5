"""Every table is defined in the schema module, so opening a store creates all of them
whichever modules the process happened to import first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, sys
from sqlalchemy import inspect
from supportdesk.service.store.engine import create_schema, make_engine, sqlite_url

async def main():
    engine = make_engine(sqlite_url(__import__("pathlib").Path(sys.argv[1])))
    await create_schema(engine)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    await engine.dispose()
    loaded = sorted(m for m in sys.modules if m.startswith("supportdesk.service.")
                    and not m.startswith("supportdesk.service.store"))
    print(" ".join(sorted(names)))
    print(" ".join(loaded) or "-")

asyncio.run(main())
"""


def test_the_schema_module_alone_creates_the_challenges_and_the_demo_inbox(
    tmp_path: Path,
) -> None:
    """A process that only opens the store (no routers imported) still gets both tables."""
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "bare.sqlite3")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    tables, loaded = set(out[0].split()), out[1]
    assert {"recovery_challenges", "message_outbox", "users", "audit_log"} <= tables
    assert "recovery_actions" not in loaded and "routers" not in loaded
