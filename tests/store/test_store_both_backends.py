"""The store behaves the same on SQLite and PostgreSQL: schema, atomic audit, chain."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update

from supportdesk.api.client import SupportDeskClient
from supportdesk.rules.audit_chain import verify_chain
from supportdesk.service.audit import Actor, append_audit, row_to_chain_fields
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.engine import SchemaVersionError, create_schema
from supportdesk.service.store.schema import audit_log, meta, tickets
from tests.support import sign_in_as


async def chain_report(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(select(audit_log).order_by(audit_log.c.seq))).mappings()
        return verify_chain(row_to_chain_fields(r) for r in rows)


async def test_demo_world_is_served_from_the_store(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    await sign_in_as(any_client, any_ctx, "demo-agent")
    queue = await any_client.list_tickets()
    assert len(queue) >= 12
    user = await any_client.get_user(queue[0].user_id)
    assert user.id == queue[0].user_id
    found = await any_client.search_users(user.name.split()[0])
    assert user.id in {u.id for u in found}


async def test_resolving_a_ticket_and_its_audit_entry_commit_together(
    any_client: SupportDeskClient, any_ctx: ServiceContext
) -> None:
    await sign_in_as(any_client, any_ctx, "demo-agent")
    ticket = (await any_client.list_tickets())[0]
    resolved = await any_client.resolve_ticket(ticket.id, "explained", "walked through it")
    assert resolved.status == "resolved" and resolved.resolved_by == "demo-agent"
    async with any_ctx.engine.connect() as conn:
        entry = (
            (await conn.execute(select(audit_log).where(audit_log.c.ticket_id == ticket.id)))
            .mappings()
            .one()
        )
    assert entry["action"] == "ticket.resolve" and entry["actor"] == "demo-agent"
    assert (await chain_report(any_ctx)).intact


async def test_a_failed_change_leaves_no_audit_entry(any_ctx: ServiceContext) -> None:
    async with any_ctx.engine.connect() as conn:
        before = (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with any_ctx.engine.begin() as conn:
            await conn.execute(
                update(tickets).where(tickets.c.id == "T-1042").values(status="resolved")
            )
            await append_audit(
                conn,
                at=any_ctx.clock.now(),
                actor=Actor("demo-agent", "agent"),
                action="ticket.resolve",
                outcome="success",
                ticket_id="T-1042",
            )
            raise Boom
    async with any_ctx.engine.connect() as conn:
        after = (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()
        status = (
            await conn.execute(select(tickets.c.status).where(tickets.c.id == "T-1042"))
        ).scalar_one()
    assert after == before
    assert status == "open"


async def test_concurrent_appends_keep_one_unbroken_chain(any_ctx: ServiceContext) -> None:
    async def writer(n: int) -> None:
        for i in range(10):
            async with any_ctx.engine.begin() as conn:
                await append_audit(
                    conn,
                    at=any_ctx.clock.now(),
                    actor=Actor(f"writer-{n}", "agent"),
                    action="test.append",
                    outcome="success",
                    detail={"i": i},
                )

    await asyncio.gather(*(writer(n) for n in range(4)))
    report = await chain_report(any_ctx)
    assert report.intact, report.summary()
    async with any_ctx.engine.connect() as conn:
        appended = (
            await conn.execute(
                select(func.count())
                .select_from(audit_log)
                .where(audit_log.c.action == "test.append")
            )
        ).scalar_one()
    assert appended == 40


async def test_an_edited_entry_is_named_by_verification(any_ctx: ServiceContext) -> None:
    async with any_ctx.engine.begin() as conn:
        for i in range(3):
            await append_audit(
                conn,
                at=any_ctx.clock.now(),
                actor=Actor("demo-agent", "agent"),
                action="test.append",
                outcome="success",
                detail={"i": i},
            )
        await conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(outcome="failed"))
    report = await chain_report(any_ctx)
    assert not report.intact
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.kind) == (2, "edited")


async def test_a_newer_schema_is_refused_not_damaged(any_ctx: ServiceContext) -> None:
    async with any_ctx.engine.begin() as conn:
        await conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="999"))
    with pytest.raises(SchemaVersionError, match="999"):
        await create_schema(any_ctx.engine)


async def test_an_older_schema_is_refused_with_what_to_do(any_ctx: ServiceContext) -> None:
    async with any_ctx.engine.begin() as conn:
        await conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="1"))
    with pytest.raises(SchemaVersionError, match="older supportdesk") as refused:
        await create_schema(any_ctx.engine)
    assert refused.value.older
