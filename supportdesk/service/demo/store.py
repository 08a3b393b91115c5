"""The demo world's own store: a SQLite file in the desk's data folder, seeded on first use."""

from __future__ import annotations

from pathlib import Path

from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.demo.seed import is_seeded, seed_world
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.store.engine import (
    SchemaVersionError,
    drop_schema,
    make_engine,
    sqlite_url,
)

DB_NAME = "supportdesk-demo.sqlite3"


def demo_db_url(data_dir: Path) -> str:
    return sqlite_url(data_dir / DB_NAME)


def demo_settings(data_dir: Path) -> ServiceSettings:
    return ServiceSettings(db_url=demo_db_url(data_dir), demo_mode=True)


async def seed_if_empty(ctx: ServiceContext) -> bool:
    """Seed the demo world into an empty store; whether it did."""
    if await is_seeded(ctx.engine):
        return False
    from supportdesk.service.demo.world import demo_world  # the world's data: seeding only

    await seed_world(ctx.engine, demo_world(), ctx.passwords, ctx.clock.now())
    return True


async def open_demo_context(data_dir: Path, *, reset: bool = False) -> ServiceContext:
    """Open (and on first use seed) the demo store in the desk's data folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = demo_settings(data_dir)
    engine = make_engine(settings.db_url)
    if reset:
        await drop_schema(engine)
    try:
        ctx = await open_context(settings, engine=engine)
    except SchemaVersionError as error:
        if not error.older:
            raise
        # The demo world is made to be thrown away: one from an older desk is rebuilt.
        await drop_schema(engine)
        ctx = await open_context(settings, engine=engine)
    await seed_if_empty(ctx)
    return ctx
