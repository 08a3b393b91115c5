"""Tampering directly in the database, on SQLite and PostgreSQL: verify names the first
bad entry and says how the chain broke (edited, missing, reordered).

Each entry's canonical text is stored with the row and hashed as stored; the columns a
lead sees are checked against it by the database, so editing any one of them (or the
text, or a hash) breaks the chain at that entry.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.audit import EXPORT_COLUMNS, AuditFilter, VerifyStep
from supportdesk.api.client import SupportDeskClient
from supportdesk.rules.audit_chain import entry_body, entry_hash, verify_chain
from supportdesk.service.audit import row_to_chain_fields
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_log import iter_export
from supportdesk.service.ops.audit_verify import verify_all
from supportdesk.service.store.audit_verify import trusted
from supportdesk.service.store.schema import audit_head, audit_log
from tests.store.audit_entries import fill
from tests.support import sign_in_as


async def verdict(ctx: ServiceContext, max_entries: int = 5) -> VerifyStep:
    """The service's own verification, in short stretches so resuming is exercised."""
    steps = [step async for step in verify_all(ctx.engine, max_entries=max_entries)]
    return steps[-1]


async def verdict_over_the_api(client: SupportDeskClient, ctx: ServiceContext) -> VerifyStep:
    await sign_in_as(client, ctx, "demo-lead")
    steps = [step async for step in client.audit_verify(max_entries=4)]
    assert len(steps) > 1  # it really resumed
    return steps[-1]


async def row(ctx: ServiceContext, seq: int) -> dict[str, Any]:
    async with ctx.engine.connect() as conn:
        found = (
            (await conn.execute(select(audit_log).where(audit_log.c.seq == seq))).mappings().one()
        )
    return dict(found)


async def test_an_untouched_log_is_intact(any_ctx: ServiceContext) -> None:
    seqs = await fill(any_ctx)
    found = await verdict(any_ctx)
    assert found.intact and found.done
    assert found.summary == f"intact, {seqs[-1]} entries"


EDITS: dict[str, Any] = {
    "actor": "demo-agent2",
    "actor_role": "lead",
    "action": "mfa.remove",
    "target_user": "u9999",
    "ticket_id": "T-9999",
    "reason": "nothing to see",
    "verification": '["known device"]',
    "outcome": "refused",
    "detail": '{"n":1}',
    "request_id": "forged",
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
    "body": "{}",
}
"""A new value for every stored column but seq (and `at`, shifted below)."""


@pytest.mark.parametrize("column", [*EDITS, "at"])
async def test_an_edit_of_any_column_is_named_at_its_entry(
    any_ctx: ServiceContext, column: str
) -> None:
    seqs = await fill(any_ctx)
    victim = seqs[6]
    value = (
        (await row(any_ctx, victim))["at"] + timedelta(microseconds=1)
        if column == "at"
        else EDITS[column]
    )
    async with any_ctx.engine.begin() as conn:
        await conn.execute(
            update(audit_log).where(audit_log.c.seq == victim).values({column: value})
        )
    found = await verdict(any_ctx)
    assert found.first_break is not None
    assert (found.first_break.seq, found.first_break.kind) == (victim, "edited")
    assert found.summary.startswith(f"broken at entry {victim} (edited)")
    if column not in ("hash", "body"):
        assert column in found.first_break.explanation


async def test_an_edited_field_is_named_over_the_api(
    any_ctx: ServiceContext, any_client: SupportDeskClient
) -> None:
    seqs = await fill(any_ctx)
    victim = seqs[6]
    async with any_ctx.engine.begin() as conn:
        await conn.execute(
            update(audit_log).where(audit_log.c.seq == victim).values(target_user="u9999")
        )
    found = await verdict_over_the_api(any_client, any_ctx)
    assert found.first_break is not None
    assert (found.first_break.seq, found.first_break.kind) == (victim, "edited")
    assert "target_user" in found.first_break.explanation


async def test_a_deleted_row_is_named(any_ctx: ServiceContext) -> None:
    seqs = await fill(any_ctx)
    victim = seqs[3]
    async with any_ctx.engine.begin() as conn:
        await conn.execute(delete(audit_log).where(audit_log.c.seq == victim))
    found = await verdict(any_ctx)
    assert found.first_break is not None
    assert found.first_break.kind == "missing"
    assert found.first_break.seq == victim + 1
    assert f"entries {victim}..{victim} are not in the log" in found.first_break.explanation


async def test_two_swapped_rows_are_named_as_reordered(
    any_ctx: ServiceContext, any_client: SupportDeskClient
) -> None:
    seqs = await fill(any_ctx)
    first, second = seqs[4], seqs[5]
    a, b = await row(any_ctx, first), await row(any_ctx, second)
    async with any_ctx.engine.begin() as conn:  # swap contents, each row keeps its seq
        for target, source in ((first, b), (second, a)):
            await conn.execute(
                update(audit_log)
                .where(audit_log.c.seq == target)
                .values(
                    {
                        k: v
                        for k, v in source.items()
                        if k not in ("seq", "columns_match", "csv_plain")
                    }
                )
            )
    for found in (await verdict(any_ctx), await verdict_over_the_api(any_client, any_ctx)):
        assert found.first_break is not None
        assert (found.first_break.seq, found.first_break.kind) == (first, "reordered")
        assert f"written as entry {second}" in found.first_break.explanation


async def test_deleting_the_newest_entries_is_caught_by_the_head(any_ctx: ServiceContext) -> None:
    seqs = await fill(any_ctx)
    async with any_ctx.engine.begin() as conn:
        await conn.execute(delete(audit_log).where(audit_log.c.seq >= seqs[-2]))
    found = await verdict(any_ctx)
    assert found.first_break is not None
    assert (found.first_break.seq, found.first_break.kind) == (seqs[-2], "missing")
    assert f"{seqs[-2]}..{seqs[-1]}" in found.first_break.explanation


async def test_an_entry_rewritten_with_its_hash_recomputed_is_named_as_an_edit(
    any_ctx: ServiceContext, any_client: SupportDeskClient
) -> None:
    seqs = await fill(any_ctx)
    victim = seqs[2]
    forged = row_to_chain_fields(await row(any_ctx, victim))
    forged["outcome"] = "refused"
    async with any_ctx.engine.begin() as conn:
        await conn.execute(
            update(audit_log)
            .where(audit_log.c.seq == victim)
            .values(outcome="refused", body=entry_body(forged), hash=entry_hash(forged))
        )
    for found in (await verdict(any_ctx), await verdict_over_the_api(any_client, any_ctx)):
        assert found.first_break is not None
        assert (found.first_break.seq, found.first_break.kind) == (victim, "edited")
        assert f"entry {victim + 1} records a different hash" in found.first_break.explanation


async def test_deleting_the_head_row_is_caught(any_ctx: ServiceContext) -> None:
    seqs = await fill(any_ctx)
    async with any_ctx.engine.begin() as conn:
        await conn.execute(delete(audit_head))
    found = await verdict(any_ctx)
    assert found.first_break is not None
    assert found.first_break.kind == "missing"
    assert "head" in found.first_break.explanation
    assert found.first_break.seq == seqs[-1]


async def test_resetting_the_head_behind_the_log_is_caught(any_ctx: ServiceContext) -> None:
    seqs = await fill(any_ctx)
    async with any_ctx.engine.begin() as conn:
        await conn.execute(update(audit_head).values(seq=seqs[3], hash="0" * 64))
    found = await verdict(any_ctx)
    assert found.first_break is not None
    assert found.first_break.seq == seqs[3] + 1
    assert "the head was rewritten or deleted" in found.first_break.explanation


@pytest.mark.parametrize("column", ["actor", "body", "prev_hash"])
async def test_an_edit_inside_a_long_batch_is_named_at_its_entry(
    any_ctx: ServiceContext, column: str
) -> None:
    """Verify checks a whole batch at once and reads it row by row only when something in
    it does not hold: an edit in the middle of one batch is still named at its entry, and
    the entries before it are counted as checked."""
    seqs = await fill(any_ctx)
    victim = seqs[6]
    async with any_ctx.engine.begin() as conn:
        await conn.execute(
            update(audit_log).where(audit_log.c.seq == victim).values({column: EDITS[column]})
        )
    steps = [step async for step in verify_all(any_ctx.engine)]  # one stretch, one batch
    assert len(steps) == 1
    found = steps[0]
    assert found.first_break is not None
    assert (found.first_break.seq, found.first_break.kind) == (victim, "edited")
    assert (found.checked, found.last_seq) == (victim - 1, victim - 1)


async def test_whether_the_columns_match_cannot_be_set(any_ctx: ServiceContext) -> None:
    """The database generates it as each row is written: it can only be recomputed."""
    seqs = await fill(any_ctx)
    with pytest.raises(DBAPIError):
        async with any_ctx.engine.begin() as conn:
            await conn.execute(
                update(audit_log).where(audit_log.c.seq == seqs[3]).values(columns_match=True)
            )
    async with any_ctx.engine.connect() as conn:
        assert await trusted(conn)


async def make_settable(conn: AsyncConnection, column: str) -> None:
    """Redefine the table so a generated column becomes a plain one anybody can set: on
    PostgreSQL its expression dropped, on SQLite the table copied without generation."""
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(f"ALTER TABLE audit_log ALTER COLUMN {column} DROP EXPRESSION")
    else:
        await conn.exec_driver_sql("ALTER TABLE audit_log RENAME TO audit_old")
        await conn.exec_driver_sql("CREATE TABLE audit_log AS SELECT * FROM audit_old")
        await conn.exec_driver_sql("DROP TABLE audit_old")


async def test_a_table_redefined_so_the_check_can_be_set_is_spelled_row_by_row(
    any_ctx: ServiceContext,
) -> None:
    """Whoever makes `columns_match` a plain column to set it beside an edit is caught:
    verify no longer trusts it and spells every row itself."""
    seqs = await fill(any_ctx)
    victim = seqs[6]
    async with any_ctx.engine.begin() as conn:
        await make_settable(conn, "columns_match")
        await conn.exec_driver_sql(
            f"UPDATE audit_log SET actor = 'mallory', columns_match = true WHERE seq = {victim}"
        )
        assert not await trusted(conn)
    found = await verdict(any_ctx)
    assert found.first_break is not None
    assert (found.first_break.seq, found.first_break.kind) == (victim, "edited")
    assert "actor" in found.first_break.explanation


async def test_a_csv_plain_made_settable_is_not_trusted_and_the_export_quotes(
    any_ctx: ServiceContext,
) -> None:
    """Whoever makes `csv_plain` a plain column to claim a comma-bearing actor needs no
    quoting gets no crooked CSV: the export no longer trusts it and quotes as needed."""
    seqs = await fill(any_ctx)
    victim = seqs[2]
    async with any_ctx.engine.begin() as conn:
        await make_settable(conn, "csv_plain")
        await conn.exec_driver_sql(
            f"UPDATE audit_log SET actor = 'a,b', csv_plain = true WHERE seq = {victim}"
        )
        assert not await trusted(conn)
    text = "".join(
        [chunk async for chunk, _n, _last in iter_export(any_ctx.engine, AuditFilter(), "csv")]
    )
    records = list(csv.reader(io.StringIO(text)))
    assert [r[2] for r in records if r[0] == str(victim)] == ["a,b"]
    assert {len(r) for r in records} == {len(EXPORT_COLUMNS)}


async def test_an_export_shows_an_edited_column_as_edited_and_fails_offline(
    any_ctx: ServiceContext,
) -> None:
    """An intact row's JSON Lines record is its stored text plus the hash; a row whose
    columns were edited is spelled from its columns, as the lead sees it, so the file's
    own verification names that entry too."""
    seqs = await fill(any_ctx)
    victim = seqs[6]
    async with any_ctx.engine.begin() as conn:
        await conn.execute(
            update(audit_log).where(audit_log.c.seq == victim).values(target_user="u9999")
        )
    text = "".join(
        [chunk async for chunk, _n, _last in iter_export(any_ctx.engine, AuditFilter(), "jsonl")]
    )
    lines = [json.loads(line) for line in text.split("\n") if line]
    assert [line["target_user"] for line in lines if line["seq"] == victim] == ["u9999"]
    report = verify_chain(lines)
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.kind) == (victim, "edited")
