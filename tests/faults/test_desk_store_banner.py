"""The desk while the service answers but its PostgreSQL does not, then does again.

A real service on loopback, on a PostgreSQL cluster of the test's own that the test
stops and starts: the desk stays on its screen with a banner, its keys paused (not
the "not answering" screen, which is for a service that cannot be reached), and the
banner goes by itself once the database is back, with the keys working again.
"""

from __future__ import annotations

import asyncio

import pytest

from supportdesk.service.clock import Clock
from supportdesk.service.context import open_context
from supportdesk.service.demo.seed import seed_world
from supportdesk.service.demo.world import demo_world
from supportdesk.tui.screens.find_user import FindUserScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.unreachable import UnreachableScreen
from supportdesk.tui.widgets.store_banner import STORE_DOWN_TEXT, StoreBanner
from tests.faults.own_postgres import own_postgres, why_not_available
from tests.support import FROZEN_NOW, PG_URL, fast_settings
from tests.tui.support import (
    remote_desk,
    served_on_loopback,
    settle,
    sign_in,
    text,
    until,
    wait_for_screen,
)


@pytest.mark.postgres
@pytest.mark.skipif(PG_URL is None, reason="SUPPORTDESK_TEST_PG_URL is not set")
async def test_database_outage_shows_a_banner_pauses_keys_and_clears_by_itself() -> None:
    reason = why_not_available()
    if reason is not None:
        pytest.skip(reason)
    with own_postgres() as cluster:
        ctx = await open_context(fast_settings(cluster.url), clock=Clock(FROZEN_NOW))
        try:
            await seed_world(ctx.engine, demo_world(), ctx.passwords, ctx.clock.now())
            async with served_on_loopback(ctx) as served:
                app = remote_desk(ctx, served.url)
                async with app.run_test(size=(120, 40)) as pilot:
                    await sign_in(pilot, ctx)
                    assert not app.screen.query(StoreBanner)

                    await asyncio.to_thread(cluster.stop)
                    await pilot.press("r")  # refresh the queue: the service answers 503
                    await until(pilot, lambda: app.screen.query(StoreBanner), "the banner")
                    assert isinstance(app.screen, QueueScreen)  # not the unreachable screen
                    assert STORE_DOWN_TEXT in text(app, "StoreBanner")
                    assert "database down" in text(app, "#header-connection")
                    await pilot.press("f")  # find user: paused, so nothing opens
                    await settle(pilot)
                    assert isinstance(app.screen, QueueScreen)
                    assert not isinstance(app.screen, UnreachableScreen)

                    await asyncio.to_thread(cluster.start)
                    await until(pilot, lambda: not app.screen.query(StoreBanner), "no banner")
                    assert "connected" in text(app, "#header-connection")
                    await pilot.press("f")
                    await wait_for_screen(pilot, FindUserScreen)
        finally:
            await ctx.engine.dispose()
