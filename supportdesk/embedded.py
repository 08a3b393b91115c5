"""The embedded back end: the reference service in-process, over httpx's ASGI transport.

Only the entry point imports this module; the desk just receives a client.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from supportdesk.api.client import SupportDeskClient
from supportdesk.service.app import build_app
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.db.engine import drop_schema, make_engine, sqlite_url
from supportdesk.service.demo.seed import is_seeded, seed_world
from supportdesk.service.demo.world import demo_world
from supportdesk.service.settings import ServiceSettings

DB_NAME = "supportdesk-demo.sqlite3"


def demo_settings(data_dir: Path) -> ServiceSettings:
    return ServiceSettings(db_url=sqlite_url(data_dir / DB_NAME), demo_mode=True)


async def open_demo_context(data_dir: Path, *, reset: bool = False) -> ServiceContext:
    """Open (and on first use seed) the demo store in the desk's data folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = demo_settings(data_dir)
    engine = make_engine(settings.db_url)
    if reset:
        await drop_schema(engine)
    ctx = await open_context(settings, engine=engine)
    if not await is_seeded(engine):
        await seed_world(engine, demo_world(), ctx.passwords, ctx.clock.now())
    return ctx


def client_for(ctx: ServiceContext, timeout_s: float = 10.0) -> SupportDeskClient:
    """A client whose requests go straight into the in-process app."""
    transport = httpx.ASGITransport(app=build_app(ctx), raise_app_exceptions=False)
    return SupportDeskClient(
        "http://embedded.supportdesk",
        transport=transport,
        timeout=httpx.Timeout(timeout_s),
        label="demo · SQLite",
    )


async def connect_embedded(data_dir: Path, timeout_s: float = 10.0) -> SupportDeskClient:
    return client_for(await open_demo_context(data_dir), timeout_s)
