"""The audit screen as a lead lives in it: Esc closes the filter bar, the live list takes new
entries by itself, the chart says the days it draws, export asks where (never the current
folder) and writes in a thread, a bad filter is refused in its field, and an entry reads
as fields with the chain line in view at 80×24."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input

from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.tui.screens import audit_export
from supportdesk.tui.screens.audit_chart import AuditChartScreen
from supportdesk.tui.screens.audit_export import AuditExportScreen
from supportdesk.tui.screens.audit_log import AuditLogScreen
from supportdesk.tui.widgets.fit_table import FitTable
from tests.tui.support import (
    audit_rows,
    make_desk,
    settle,
    sign_in,
    text,
    until,
    wait_for_screen,
)


async def add(ctx: ServiceContext, agent: str = "demo-agent", ago: timedelta = timedelta(0)) -> int:
    async with ctx.engine.begin() as conn:
        return await append_audit(
            conn,
            at=ctx.clock.now() - ago,
            actor=Actor(agent, "agent"),
            action="approval.approve",
            outcome="success",
            target_user="u1001",
            ticket_id="T-1042",
            reason="owner confirmed on a call-back to the number on the company record",
            verification=["account_owner_callback", "email_code"],
            detail={"approved_by": "demo-lead", "request": 7},
        )


def shown(screen: AuditLogScreen) -> list[int]:
    table = screen.query_one("#audit-table", FitTable)
    return [int(str(table.get_row_at(i)[0])) for i in range(table.row_count)]


async def open_audit(pilot, ctx: ServiceContext) -> AuditLogScreen:  # type: ignore[no-untyped-def]
    await sign_in(pilot, ctx, "demo-lead")
    await pilot.press("A")
    return await wait_for_screen(pilot, AuditLogScreen)


async def test_escape_in_the_filter_bar_closes_the_bar_not_the_screen(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"demo-agent2", "escape")
        assert app.screen is screen
        assert not screen.query_one("#audit-filter-bar").display
        await pilot.press("slash")
        assert screen.query_one("#audit-filter-bar").display
        await pilot.press("escape", "escape")
        await until(pilot, lambda: app.screen is not screen, "the screen to close")


async def test_the_live_list_takes_new_entries_without_refiltering(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("supportdesk.tui.screens.audit_log.LIVE_POLL_S", 0.2)
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        screen.query_one("#audit-when", Input).value = "today"
        screen.query_one("#audit-when", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        fresh = await add(ctx)
        await until(pilot, lambda: shown(screen)[:1] == [fresh], "the new entry at the top")
        assert "live, 1 new" in text(screen, "#audit-status")


async def test_the_chart_says_the_days_it_draws(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_audit(pilot, ctx)
        await pilot.press("c")
        chart = await wait_for_screen(pilot, AuditChartScreen)
        assert chart.counts is not None and chart.counts.days
        first, last = chart.counts.days[0], chart.counts.days[-1]
        note = text(chart, "#audit-chart-note")
        assert f"{first:%a %d %b}" in note and f"{last:%d %b %Y}" in note
        assert "all time" not in note


async def test_export_asks_where_and_writes_in_a_thread(
    ctx: ServiceContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    writers: list[bool] = []
    write = audit_export._write

    def spy(*args: object) -> None:
        writers.append(threading.current_thread() is threading.main_thread())
        write(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(audit_export, "_write", spy)
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_audit(pilot, ctx)
        await pilot.press("e")
        dialog = await wait_for_screen(pilot, AuditExportScreen)
        suggested = Path(dialog.query_one("#export-path", Input).value)
        assert suggested.is_absolute() and suggested.parent != tmp_path
        assert "Write to" in text(dialog, "#export-where")
        target = tmp_path / "out" / "log.csv"
        target.parent.mkdir()
        dialog.query_one("#export-path", Input).value = str(target)
        dialog.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: "Exported" in text(dialog, "#export-message"), "the export")
    assert target.is_file() and writers and not any(writers)
    assert target.read_text(encoding="utf-8").startswith("seq,")
    exports = await audit_rows(ctx, action="audit.export")
    assert '"format":"csv"' in exports[-1]["detail"]  # the log says what the file holds


async def test_a_malformed_ticket_filter_is_refused_in_its_field(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        before = shown(screen)
        field = screen.query_one("#audit-ticket", Input)
        assert field.max_length == 16  # the service's limit: longer cannot be typed
        await pilot.press("slash")
        field.focus()
        await pilot.press(*"T_1042 x!")  # characters a ticket id never has are not taken
        assert field.value == "T1042x"
        field.value = "T--"
        await pilot.press("enter")
        status = text(screen, "#audit-status")
        assert "Ticket must be a ticket id such as T-1042" in status
        assert field.value == ""  # back to what the list shows
        assert shown(screen) == before
        status_box = screen.query_one("#audit-status")
        assert screen.region.contains_region(status_box.region)


async def test_an_entry_reads_as_fields_with_the_chain_in_view_at_80x24(
    ctx: ServiceContext,
) -> None:
    seq = await add(ctx)
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        table = screen.query_one("#audit-table", FitTable)
        table.move_cursor(row=table.get_row_index(str(seq)))
        await pilot.pause()
        detail = screen.query_one("#audit-detail")
        lines = text(screen, "#audit-detail").splitlines()
        assert [line.split()[0] for line in lines] == [
            f"#{seq}",
            "Action",
            "Whom",
            "Why",
            "Checks",
            "Detail",
            "Chain",
        ]
        assert "request approved (approval.approve)" in lines[1]
        assert lines[4].split(None, 1)[1] == "owner call-back, e-mail code"
        assert "approved by: demo-lead" in lines[5]
        assert screen.region.contains_region(detail.region)
        assert detail.content_region.height >= len(lines)
