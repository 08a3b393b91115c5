"""Exporting the audit log: streamed CSV / JSON Lines, oldest first, verifiable offline."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import httpx

from supportdesk.api.audit import (
    CHUNK_LAST_HEADER,
    CHUNK_ROWS_HEADER,
    EXPORT_COLUMNS,
    AuditFilter,
)
from supportdesk.api.client import SupportDeskClient
from supportdesk.rules.audit_chain import verify_chain
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_log import iter_batches
from tests.service.support import add_entry
from tests.support import sign_in_as


async def raw_export(client: SupportDeskClient, **params: str) -> httpx.Response:
    return await client._http.get(
        "/v1/audit/export", params=params, headers={"Authorization": f"Bearer {client.token}"}
    )


async def test_csv_export_has_a_header_and_one_record_per_entry(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    async with ctx.engine.begin() as conn:
        await append_audit(
            conn,
            at=ctx.clock.now(),
            actor=Actor("demo-agent", "agent"),
            action="mfa.reset",
            outcome="success",
            target_user="u1001",
            reason='lost phone,\nsaid "urgent"',
        )
    await add_entry(ctx, action="mfa.reset", user="u1002")
    await sign_in_as(client, ctx, "demo-lead")
    since = ctx.clock.now().isoformat()  # this test's entries, not the demo's past resets
    response = await raw_export(client, format="csv", action="mfa.reset", since=since)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    records = list(csv.reader(io.StringIO(response.text)))
    assert tuple(records[0]) == EXPORT_COLUMNS
    assert [r[EXPORT_COLUMNS.index("target_user")] for r in records[1:]] == ["u1001", "u1002"]
    assert records[1][EXPORT_COLUMNS.index("reason")] == 'lost phone,\nsaid "urgent"'


async def test_a_whole_log_export_in_json_lines_verifies_offline(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    for i in range(7):
        await add_entry(ctx, ago=timedelta(hours=i))
    await sign_in_as(client, ctx, "demo-lead")
    response = await raw_export(client, format="jsonl")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    report = verify_chain(lines)
    assert report.intact, report.summary()
    assert report.checked == len(lines) == lines[-1]["seq"]


async def test_starting_an_export_is_itself_recorded(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-lead")
    await raw_export(client, format="jsonl", agent="demo-agent2")
    newest = (await client.audit_find(AuditFilter(), limit=1)).entries[0]
    assert (newest.actor, newest.action) == ("demo-lead", "audit.export")
    assert newest.detail is not None and '"agent":"demo-agent2"' in newest.detail


async def test_the_client_fetches_an_export_in_chunks_with_progress(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    for _ in range(11):
        await add_entry(ctx, action="mfa.reset")
    await sign_in_as(client, ctx, "demo-lead")
    resets = AuditFilter(action="reset", since=ctx.clock.now())  # not the demo's past resets
    got = [pair async for pair in client.audit_export(resets, chunk_rows=4)]
    seqs = [entry.seq for entry, _ in got]
    fractions = [fraction for _, fraction in got]
    assert len(seqs) == 11 and seqs == sorted(seqs)
    assert fractions == sorted(fractions)
    assert fractions[0] > 0 and fractions[-1] <= 1.0


async def test_the_service_reads_in_bounded_batches(ctx: ServiceContext) -> None:
    for _ in range(10):
        await add_entry(ctx, action="mfa.reset")
    resets = AuditFilter(action="reset", since=ctx.clock.now())  # not the demo's past resets
    sizes = [len(rows) async for rows in iter_batches(ctx.engine, resets, batch=4)]
    assert sizes == [4, 4, 2]


async def test_an_export_chunk_stops_at_max_rows_and_resumes_after(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    first = await add_entry(ctx)
    second = await add_entry(ctx)
    third = await add_entry(ctx)
    await sign_in_as(client, ctx, "demo-lead")
    since = ctx.clock.now().isoformat()  # this test's entries, not the demo's past resets
    chunk = await raw_export(client, format="jsonl", action="reset", since=since, max_rows="2")
    assert [json.loads(x)["seq"] for x in chunk.text.splitlines()] == [first, second]
    rest = await raw_export(client, format="jsonl", action="reset", since=since, after=str(second))
    assert [json.loads(x)["seq"] for x in rest.text.splitlines()] == [third]


async def test_a_chunk_says_how_many_entries_it_holds_and_where_it_ends(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    """So the desk carries on after a CSV chunk (whose notes may hold line breaks)
    without reading a record of it."""
    async with ctx.engine.begin() as conn:
        first = await append_audit(
            conn,
            at=ctx.clock.now(),
            actor=Actor("demo-agent", "agent"),
            action="mfa.reset",
            outcome="success",
            reason='two\r\nlines, "quoted"',
        )
    second = await add_entry(ctx, action="mfa.reset")
    await add_entry(ctx, action="mfa.reset")
    await sign_in_as(client, ctx, "demo-lead")
    since = ctx.clock.now().isoformat()
    chunk = await raw_export(client, format="csv", action="mfa.reset", since=since, max_rows="2")
    assert chunk.headers[CHUNK_ROWS_HEADER] == "2"
    assert chunk.headers[CHUNK_LAST_HEADER] == str(second)
    records = list(csv.reader(io.StringIO(chunk.text)))
    assert [r[0] for r in records[1:]] == [str(first), str(second)]
    beyond = await raw_export(
        client,
        format="csv",
        action="mfa.reset",
        since=since,
        after=str(second + 1),
        max_rows="2",
        header="false",
    )
    assert (beyond.headers[CHUNK_ROWS_HEADER], beyond.headers[CHUNK_LAST_HEADER]) == (
        "0",
        str(second + 1),
    )
    assert beyond.text == ""
