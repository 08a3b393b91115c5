"""A demo world left by an older desk is rebuilt, not a crash at start."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from supportdesk.service.demo.store import open_demo_context
from supportdesk.service.store.schema import SCHEMA_VERSION, meta, tickets


async def test_the_demo_store_of_an_older_desk_is_rebuilt(tmp_path: Path) -> None:
    ctx = await open_demo_context(tmp_path)
    async with ctx.engine.begin() as conn:
        await conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="1"))
        await conn.execute(tickets.delete())
    await ctx.engine.dispose()
    again = await open_demo_context(tmp_path)
    try:
        async with again.engine.connect() as conn:
            version = (
                await conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))
            ).scalar_one()
            left = (await conn.execute(select(tickets.c.id))).scalars().all()
        assert int(version) == SCHEMA_VERSION
        assert left, "the rebuilt demo world has its tickets again"
    finally:
        await again.engine.dispose()
