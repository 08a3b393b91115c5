"""A store made before the intake opens with its tickets kept and ready for unknown senders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, Index, MetaData, String, Table, Text, inspect, select

from supportdesk.service.store.engine import create_schema, drop_schema, make_engine, sqlite_url
from supportdesk.service.store.schema import UTCDateTime, tickets, users
from tests.support import PG_URL

AT = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def _old_schema() -> MetaData:
    """The users and tickets tables as they were before the intake."""
    old = MetaData()
    users.to_metadata(old)
    before = Table(
        "tickets",
        old,
        Column("id", String(16), primary_key=True),
        Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
        Column("channel", String(16), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("text", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("status", String(16), nullable=False),
        Column("outcome", String(32), nullable=True),
        Column("note", Text, nullable=True),
        Column("resolved_by", String(64), nullable=True),
        Column("resolved_at", UTCDateTime, nullable=True),
    )
    Index("ix_tickets_status", before.c.status, before.c.created_at)
    return old


STORES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(PG_URL is None, reason="SUPPORTDESK_TEST_PG_URL is not set"),
        ],
    ),
]


@pytest.mark.parametrize("store", STORES)
async def test_an_old_store_keeps_its_tickets_and_takes_unknown_senders(
    store: str, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "old.sqlite3") if store == "sqlite" else PG_URL
    assert url is not None
    engine = make_engine(url)
    try:
        await drop_schema(engine)
        old = _old_schema()
        async with engine.begin() as conn:
            await conn.run_sync(old.create_all)
            await conn.execute(
                old.tables["users"]
                .insert()
                .values(
                    id="u1",
                    name="Ana",
                    email="ana@example.com",
                    company="Alvys",
                    region="ES",
                    timezone="Europe/Madrid",
                    kind="individual",
                    mfa_status="active",
                    password_hash="x",
                    created_at=AT,
                )
            )
            await conn.execute(
                old.tables["tickets"]
                .insert()
                .values(
                    id="T-1",
                    user_id="u1",
                    channel="email",
                    subject="s",
                    text="t",
                    created_at=AT,
                    status="open",
                )
            )
        await create_schema(engine)
        await create_schema(engine)  # a second open changes nothing more
        async with engine.begin() as conn:
            await conn.execute(
                tickets.insert().values(
                    id="T-2",
                    user_id=None,
                    channel="email",
                    subject="s",
                    text="t",
                    created_at=AT,
                    status="open",
                    sender="who@else.example",
                )
            )
            rows = (await conn.execute(select(tickets).order_by(tickets.c.id))).mappings().all()
            columns = await conn.run_sync(
                lambda c: {x["name"]: x["nullable"] for x in inspect(c).get_columns("tickets")}
            )
        assert [(r["id"], r["user_id"], r["sender"]) for r in rows] == [
            ("T-1", "u1", None),
            ("T-2", None, "who@else.example"),
        ]
        assert columns["user_id"] is True
        assert {"sender", "sender_name", "conversation_key"} <= set(columns)
    finally:
        await drop_schema(engine)
        await engine.dispose()
