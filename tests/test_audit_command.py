"""`supportdesk audit export|verify`: on the embedded store and against `--api` as a lead."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from supportdesk.api.client import SupportDeskClient
from supportdesk.cli import main
from supportdesk.commands import audit as audit_command
from supportdesk.embedded import DB_NAME, client_for
from supportdesk.rules.audit_chain import verify_chain
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.clock import Clock
from supportdesk.service.context import open_context
from supportdesk.service.store.engine import make_engine, sqlite_url
from supportdesk.service.store.schema import audit_head, audit_log
from tests.support import FROZEN_NOW, agent_code, fast_settings

RESETS = [
    # (when, agent, user): in October, before the demo world's month of history
    (datetime(2026, 10, 1, 23, 0, tzinfo=UTC), "demo-agent2", "u1001"),  # before the range
    (datetime(2026, 10, 2, 9, 0, tzinfo=UTC), "demo-agent2", "u1002"),
    (datetime(2026, 10, 6, 14, 0, tzinfo=UTC), "demo-agent", "u1003"),
    (datetime(2026, 10, 8, 17, 30, tzinfo=UTC), "demo-agent2", "u1004"),
    (datetime(2026, 10, 9, 8, 0, tzinfo=UTC), "demo-agent2", "u1005"),  # after the range
]


def seeded_entries(demo_template: Path) -> int:
    """How many entries the demo world starts with (its month of history and the seed)."""

    async def count() -> int:
        engine = make_engine(sqlite_url(demo_template))
        async with engine.connect() as conn:
            found = (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()
        await engine.dispose()
        return int(found)

    return asyncio.run(count())


@pytest.fixture
def store(demo_template: Path, tmp_path: Path) -> Path:
    """The embedded store the command finds in the data folder, with a few resets in it."""
    target = tmp_path / "data" / DB_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, target)

    async def seed() -> None:
        engine = make_engine(sqlite_url(target))
        for at, agent, user in RESETS:
            async with engine.begin() as conn:
                await append_audit(
                    conn,
                    at=at,
                    actor=Actor(agent, "agent"),
                    action="mfa.reset",
                    outcome="success",
                    target_user=user,
                    reason="lost phone, verified by video call",
                )
        await engine.dispose()

    asyncio.run(seed())
    return target


def export_range(*extra: str) -> list[str]:
    return [
        "audit",
        "export",
        "--since",
        "2026-10-02",
        "--until",
        "2026-10-08",
        "--zone",
        "UTC",
        "--agent",
        "demo-agent2",
        *extra,
    ]


def test_export_writes_one_agents_entries_in_the_range_to_a_file(
    store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "resets.csv"
    assert main([*export_range("--out", str(out))]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["actor"], r["target_user"]) for r in rows] == [
        ("demo-agent2", "u1002"),
        ("demo-agent2", "u1004"),
    ]
    assert not (tmp_path / "resets.csv.part").exists()


def test_a_whole_log_export_to_stdout_verifies_offline(
    store: Path, demo_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "export", "--format", "jsonl"]) == 0
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    report = verify_chain(entries)
    expected = seeded_entries(demo_template) + len(RESETS)
    assert report.intact and report.checked == len(entries) == expected


def test_verify_exits_0_on_an_intact_chain(
    store: Path, demo_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--quiet"]) == 0
    expected = seeded_entries(demo_template) + len(RESETS)
    assert capsys.readouterr().out.strip() == f"intact, {expected} entries"


def test_verify_exits_1_and_prints_the_first_bad_entry(
    store: Path, demo_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = seeded_entries(demo_template) + 2  # the reset of u1002

    async def tamper() -> None:
        engine = make_engine(sqlite_url(store))
        async with engine.begin() as conn:
            await conn.execute(
                update(audit_log).where(audit_log.c.seq == victim).values(actor="nobody")
            )
        await engine.dispose()

    asyncio.run(tamper())
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        f"broken at entry {victim} (edited): its actor no longer matches its hash"
    )
    assert "nobody" in out and "u1002" in out


def test_an_unreadable_range_is_refused_before_anything_is_written(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.csv"
    assert main(["audit", "export", "--since", "the other day", "--out", str(out)]) == 2
    assert "cannot read 'the other day'" in capsys.readouterr().err
    assert not out.exists()


# -- against a service, as a team lead ---------------------------------------------------------


@pytest.fixture
def remote(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--api` reaches the service in-process, on the same store, with the clock frozen."""

    async def connect(url: str, timeout_s: float) -> SupportDeskClient:
        ctx = await open_context(fast_settings(sqlite_url(store)), clock=Clock(FROZEN_NOW))
        client = client_for(ctx)
        close = client.aclose

        async def aclose() -> None:
            await close()
            await ctx.engine.dispose()

        monkeypatch.setattr(client, "aclose", aclose)
        return client

    monkeypatch.setattr(audit_command, "connect_remote", connect)
    monkeypatch.setenv("SUPPORTDESK_PASSWORD", "demo")


def code_for(store: Path, username: str) -> str:
    async def read() -> str:
        engine = make_engine(sqlite_url(store))
        try:
            return await agent_code(engine, username, FROZEN_NOW)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_a_lead_exports_over_the_api_the_same_bytes_as_the_store_gives(
    remote: None, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = tmp_path / "direct.jsonl"
    over_api = tmp_path / "api.jsonl"
    assert main([*export_range("--format", "jsonl", "--out", str(direct))]) == 0
    monkeypatch.setenv("SUPPORTDESK_CODE", code_for(store, "demo-lead"))
    argv = export_range("--format", "jsonl", "--out", str(over_api), "--user", "demo-lead")
    assert main(["--api", "http://audit.test", *argv]) == 0
    assert over_api.read_bytes() == direct.read_bytes()
    assert len(over_api.read_text().splitlines()) == 2


def test_verify_over_the_api(
    remote: None,
    store: Path,
    demo_template: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUPPORTDESK_CODE", code_for(store, "demo-lead"))
    argv = ["--api", "http://audit.test", "audit", "verify", "--user", "demo-lead"]
    assert main(argv) == 0
    # the lead's own sign-in is in the log by now
    expected = seeded_entries(demo_template) + len(RESETS) + 1
    assert capsys.readouterr().out.strip() == f"intact, {expected} entries"


def test_an_agent_is_refused_over_the_api(
    remote: None,
    store: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUPPORTDESK_CODE", code_for(store, "demo-agent"))
    out = tmp_path / "refused.csv"
    argv = export_range("--out", str(out), "--user", "demo-agent")
    assert main(["--api", "http://audit.test", *argv]) == 2
    assert "team lead" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "refused.csv.part").exists()


def test_without_credentials_and_no_terminal_it_says_what_to_set(
    remote: None, store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUPPORTDESK_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    argv = ["--api", "http://audit.test", "audit", "verify", "--user", "demo-lead"]
    assert main(argv) == 2
    assert "SUPPORTDESK_PASSWORD" in capsys.readouterr().err


def exports_recorded(store: Path) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        engine = make_engine(sqlite_url(store))
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(audit_log.c.detail)
                .where(audit_log.c.action == "audit.export")
                .where(audit_log.c.at >= FROZEN_NOW)  # not the demo world's past exports
            )
            found = [json.loads(r.detail) for r in rows]
        await engine.dispose()
        return found

    return asyncio.run(read())


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_log_records_the_format_the_file_is_written_in(
    remote: None, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """Issue 9: the desk fetches JSON Lines and writes CSV; the entry says CSV."""
    monkeypatch.setenv("SUPPORTDESK_CODE", code_for(store, "demo-lead"))
    out = tmp_path / f"audit.{fmt}"
    argv = export_range("--format", fmt, "--out", str(out), "--user", "demo-lead")
    assert main(["--api", "http://audit.test", *argv]) == 0
    [recorded] = exports_recorded(store)
    assert recorded["format"] == fmt


# -- receipts: the head anchored outside the store ---------------------------------------------


def cut_newest(store: Path, count: int) -> None:
    """A forger with the store: drop the newest entries and rewrite the head to match."""

    async def cut() -> None:
        engine = make_engine(sqlite_url(store))
        async with engine.begin() as conn:
            newest = (await conn.execute(select(func.max(audit_log.c.seq)))).scalar_one()
            keep = newest - count
            kept = (
                await conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == keep))
            ).scalar_one()
            await conn.execute(delete(audit_log).where(audit_log.c.seq > keep))
            await conn.execute(update(audit_head).values(seq=keep, hash=kept))
        await engine.dispose()

    asyncio.run(cut())


def test_an_export_keeps_a_receipt_that_verify_holds_the_log_to(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "audit.jsonl"
    assert main(["audit", "export", "--format", "jsonl", "--out", str(out), "--quiet"]) == 0
    receipt_file = tmp_path / "audit.jsonl.receipt.json"
    receipt = json.loads(receipt_file.read_text(encoding="utf-8"))
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert receipt["seq"] == exported[-1]["seq"]
    assert receipt["head_hash"] == exported[-1]["hash"]  # the file reaches the receipt's head
    assert set(receipt) >= {"seq", "head_hash", "at", "signature", "public_key"}
    capsys.readouterr()

    assert main(["audit", "verify", "--quiet", "--receipt", str(receipt_file)]) == 0
    assert "holds" in capsys.readouterr().out

    cut_newest(store, 2)
    assert main(["audit", "verify", "--quiet"]) == 0  # the walk alone is fooled
    capsys.readouterr()
    assert main(["audit", "verify", "--quiet", "--receipt", str(receipt_file)]) == 1
    out_text = capsys.readouterr().out
    assert "truncated" in out_text
    assert f"entries {receipt['seq'] - 1}..{receipt['seq']}" in out_text


def test_verify_saves_a_receipt_only_when_intact(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "today.receipt.json"
    assert main(["audit", "verify", "--quiet", "--save-receipt", str(saved)]) == 0
    assert json.loads(saved.read_text(encoding="utf-8"))["kind"] == "supportdesk-audit-receipt"
    assert main(["audit", "verify", "--quiet", "--receipt", str(tmp_path / "nope.json")]) == 2
    assert "cannot read the receipt" in capsys.readouterr().err
