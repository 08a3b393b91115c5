"""Several OS processes appending to one audit log at once (as several API workers do):
the chain stays one unbroken line, with no gaps, no forks and an exact count."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_verify import verify_all
from supportdesk.service.store.schema import audit_log

PROCESSES = 5
APPENDS = 30

WRITER = """
import asyncio, sys
from datetime import UTC, datetime

from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.store.engine import make_engine


async def main(url: str, name: str, count: int) -> None:
    engine = make_engine(url)
    async with engine.connect():  # connected before the start signal
        pass
    print("ready", flush=True)
    sys.stdin.readline()  # every writer starts at the same moment
    for i in range(count):
        async with engine.begin() as conn:
            await append_audit(
                conn,
                at=datetime.now(UTC),
                actor=Actor(name, "agent"),
                action="test.process",
                outcome="success",
                detail={"i": i},
            )
    await engine.dispose()
    print("done", flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_processes_appending_at_once_keep_one_exact_chain(any_ctx: ServiceContext) -> None:
    url = any_ctx.settings.db_url
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, f"worker-{n}", str(APPENDS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    try:
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        for writer in writers:
            _out, err = writer.communicate(timeout=120)
            assert writer.returncode == 0, err
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()

    steps = [step async for step in verify_all(any_ctx.engine)]
    assert steps[-1].intact, steps[-1].summary
    async with any_ctx.engine.connect() as conn:
        per_worker: dict[str, int] = dict(
            (
                await conn.execute(
                    select(audit_log.c.actor, func.count())
                    .where(audit_log.c.action == "test.process")
                    .group_by(audit_log.c.actor)
                )
            ).all()
        )
        total = (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()
    assert per_worker == {f"worker-{n}": APPENDS for n in range(PROCESSES)}
    assert steps[-1].summary == f"intact, {total} entries"
