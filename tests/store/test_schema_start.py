"""Each start makes the tables a store lacks and leaves the ones it has as they are."""

from __future__ import annotations

from sqlalchemy import func, inspect, select

from supportdesk.service.context import ServiceContext
from supportdesk.service.store.engine import create_schema
from supportdesk.service.store.schema import agents, ticket_triage


async def test_a_start_makes_a_missing_table_and_keeps_the_others(
    any_ctx: ServiceContext,
) -> None:
    engine = any_ctx.engine
    async with engine.begin() as conn:
        before = (await conn.execute(select(func.count()).select_from(agents))).scalar_one()
        await conn.run_sync(lambda sync: ticket_triage.drop(sync))
    await create_schema(engine)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        after = (await conn.execute(select(func.count()).select_from(agents))).scalar_one()
        indexes = await conn.run_sync(
            lambda sync: {ix["name"] for ix in inspect(sync).get_indexes("ticket_triage")}
        )
    assert "ticket_triage" in tables
    assert after == before > 0  # the agents (and every other table) were not touched
    assert {ix.name for ix in ticket_triage.indexes} <= indexes  # made whole, with its indexes
    await create_schema(engine)  # and a start with nothing missing changes nothing
