"""The database spells an entry exactly as the canonical encoder does, on both stores.

Verification holds each row's columns to its stored text in SQL, and exports are spelled
in SQL too; an awkward value (quotes, control characters, non-ASCII, microseconds) must
come out byte for byte as Python writes it, or an honest entry would read as edited.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from supportdesk.api.audit import AuditFilter, csv_lines, jsonl_lines, render
from supportdesk.api.client import SupportDeskClient
from supportdesk.rules.audit_chain import verify_chain
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_log import iter_batches, iter_export
from supportdesk.service.ops.audit_verify import verify_all
from supportdesk.service.store.audit_verify import trusted
from supportdesk.service.store.schema import audit_log
from tests.support import sign_in_as

AWKWARD = 'said "hi", then\r\n\ttab \\ back\x01\x1f é 漢 \u2028 / end'


async def test_awkward_entries_verify_and_export_as_python_spells_them(
    any_ctx: ServiceContext,
) -> None:
    for i, micro in enumerate((0, 1, 123456, 999999)):
        async with any_ctx.engine.begin() as conn:
            await append_audit(
                conn,
                at=any_ctx.clock.now() + timedelta(seconds=i, microseconds=micro),
                actor=Actor("demo-agent", "agent"),
                action="ticket.resolve",
                outcome="success",
                target_user="u1001",
                reason=AWKWARD,
                verification=["vidéo", AWKWARD],
                detail={"note": AWKWARD, "n": 1.5, "nested": {"b": [1, None, True]}},
            )
    steps = [step async for step in verify_all(any_ctx.engine)]
    assert steps[-1].intact, steps[-1].summary

    everything = AuditFilter()
    rows = [r async for batch in iter_batches(any_ctx.engine, everything) for r in batch]
    for fmt, python in (("jsonl", jsonl_lines(rows)), ("csv", csv_lines(rows))):
        spelled = "".join(
            [text async for text, _n, _last in iter_export(any_ctx.engine, everything, fmt)]
        )
        assert spelled == python, fmt
    lines = [json.loads(line) for line in jsonl_lines(rows).split("\n") if line]
    assert verify_chain(lines).intact


async def test_an_awkward_entry_comes_through_the_api_export_whole(
    any_ctx: ServiceContext, any_client: SupportDeskClient
) -> None:
    async with any_ctx.engine.begin() as conn:
        seq = await append_audit(
            conn,
            at=any_ctx.clock.now(),
            actor=Actor("demo-agent", "agent"),
            action="ticket.resolve",
            outcome="success",
            reason=AWKWARD,
        )
    await sign_in_as(any_client, any_ctx, "demo-lead")
    got = [e async for e, _f in any_client.audit_export(AuditFilter(), chunk_rows=7)]
    assert [e.reason for e in got if e.seq == seq] == [AWKWARD]
    assert [e.seq for e in got] == sorted({e.seq for e in got})


async def test_the_api_export_in_chunks_is_the_direct_export_byte_for_byte(
    any_ctx: ServiceContext, any_client: SupportDeskClient
) -> None:
    """What the desk writes (the service's text, chunk after chunk) is the file the CLI's
    direct export writes, however the chunks fall."""
    async with any_ctx.engine.begin() as conn:
        await append_audit(
            conn,
            at=any_ctx.clock.now(),
            actor=Actor("demo-agent", "agent"),
            action="ticket.resolve",
            outcome="success",
            reason=AWKWARD,
        )
    await sign_in_as(any_client, any_ctx, "demo-lead")
    everything = AuditFilter()
    for fmt in ("jsonl", "csv"):
        pieces = [
            piece async for piece in any_client.audit_export_text(everything, fmt, chunk_rows=7)
        ]
        # After it, so that both hold the audit.export entry the API export began with.
        batches = [batch async for batch in iter_export(any_ctx.engine, everything, fmt)]
        header = render("csv", [], header=True) if fmt == "csv" else ""
        direct = header + "".join(text for text, _n, _last in batches)
        assert "".join(text for text, _n, _f in pieces) == direct, fmt
        assert sum(n for _t, n, _f in pieces) == sum(n for _t, n, _l in batches), fmt
        assert pieces[-1][2] == 1.0


async def test_names_and_codes_that_need_quoting_are_quoted_in_a_csv_export(
    any_ctx: ServiceContext,
) -> None:
    """The export writes names, codes and hex as they are only where the database's own
    `csv_plain` says none needs quoting: a comma, a quote or a line break in any of them,
    as written or edited in later, still comes out as the csv module writes it."""
    agent = Actor("demo-agent", "agent")
    entries = [
        {"actor": agent, "target_user": "u1001", "detail": {"n": 1}},
        {"actor": Actor('agent,"7"', "agent")},
        {"actor": agent, "target_user": "u1,2"},
        {"actor": agent, "ticket_id": 'T"9'},
        {"actor": agent, "request_id": "req\r\nid"},
    ]
    async with any_ctx.engine.begin() as conn:
        seqs = [
            await append_audit(
                conn,
                at=any_ctx.clock.now(),
                action="ticket.resolve",
                outcome="success",
                **fields,  # type: ignore[arg-type]
            )
            for fields in entries
        ]
        await conn.execute(  # an edit after the fact: the database recomputes its test
            update(audit_log).where(audit_log.c.seq == seqs[0]).values(outcome="ok,then")
        )
    async with any_ctx.engine.connect() as conn:
        assert await trusted(conn)  # so the export does take its quick path where it may
        found = await conn.execute(select(audit_log.c.seq, audit_log.c.csv_plain))
        plain = {int(seq): bool(flag) for seq, flag in found}
    assert [plain[seq] for seq in seqs] == [False] * len(seqs)
    assert any(plain.values())  # the demo's own entries need no quoting

    everything = AuditFilter()
    rows = [r async for batch in iter_batches(any_ctx.engine, everything) for r in batch]
    spelled = "".join(
        [text async for text, _n, _last in iter_export(any_ctx.engine, everything, "csv")]
    )
    assert spelled == csv_lines(rows)
    assert '"agent,""7"""' in spelled and '"req\r\nid"' in spelled
