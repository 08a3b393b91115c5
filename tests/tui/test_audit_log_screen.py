"""The audit screen as a lead uses it: filter, read, export, verify, review, watch it live."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from supportdesk.api.audit import AgentDayCount, AuditCounts, ProviderAudit, ProviderAuditRow
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.schema import audit_head, audit_log
from supportdesk.tui.screens.audit_chart import AuditChartScreen
from supportdesk.tui.screens.audit_export import AuditExportScreen
from supportdesk.tui.screens.audit_log import AuditLogScreen
from supportdesk.tui.screens.audit_review import AuditReviewScreen
from supportdesk.tui.screens.audit_verify import AuditVerifyScreen
from supportdesk.tui.screens.provider_audit import ProviderAuditScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.widgets.audit_chart import chart_text
from tests.tui.support import (
    desk_settings,
    make_desk,
    settle,
    sign_in,
    until,
    wait_for_screen,
)


async def add(
    ctx: ServiceContext,
    ago: timedelta,
    agent: str,
    action: str = "mfa.reset",
    user: str = "u1001",
) -> int:
    async with ctx.engine.begin() as conn:
        return await append_audit(
            conn,
            at=ctx.clock.now() - ago,
            actor=Actor(agent, "agent"),
            action=action,
            outcome="success",
            target_user=user,
            reason="lost phone, verified by video call",
            verification=["video call"],
        )


async def resets_on_thursday_by(ctx: ServiceContext, agent: str) -> list[tuple[int, str]]:
    """The agent's resets the demo world's past holds for Thursday 26 Nov (UTC), oldest first."""
    thursday = datetime(2026, 11, 26, tzinfo=UTC)
    async with ctx.engine.connect() as conn:
        found = await conn.execute(
            select(audit_log.c.seq, audit_log.c.target_user)
            .where(audit_log.c.actor == agent)
            .where(audit_log.c.action.contains("reset"))
            .where(audit_log.c.at >= thursday, audit_log.c.at < thursday + timedelta(days=1))
            .order_by(audit_log.c.seq)
        )
        return [(int(seq), str(user)) for seq, user in found]


async def open_audit(pilot: Pilot[int], ctx: ServiceContext) -> AuditLogScreen:
    await sign_in(pilot, ctx, "demo-lead")
    await pilot.press("A")
    await wait_for_screen(pilot, AuditLogScreen)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AuditLogScreen)
    return screen


def shown(screen: AuditLogScreen) -> list[int]:
    table = screen.query_one("#audit-table", DataTable)
    return [int(str(table.get_row_at(i)[0])) for i in range(table.row_count)]


def text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def type_filters(pilot: Pilot[int], screen: AuditLogScreen, **values: str) -> None:
    for key, value in values.items():
        screen.query_one(f"#audit-{key}", Input).value = value
    screen.query_one("#audit-when", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_a_lead_filters_to_yesterdays_resets_by_one_agent_and_exports_them(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    # The demo world's past: demo-agent2 reset six accounts yesterday, Thursday.
    seeded = await resets_on_thursday_by(ctx, "demo-agent2")
    assert len(seeded) == 6
    wanted = [
        *(seq for seq, _user in seeded),
        await add(ctx, timedelta(days=1, hours=5), "demo-agent2", user="u1001"),
        await add(ctx, timedelta(days=1, hours=1), "demo-agent2", user="u1002"),
    ]
    await add(ctx, timedelta(days=1, hours=2), "demo-agent", user="u1003")  # someone else
    await add(ctx, timedelta(days=1), "demo-agent2", action="sms.resend")  # not a reset
    await add(ctx, timedelta(hours=1), "demo-agent2", user="u1004")  # today
    await add(ctx, timedelta(days=3), "demo-agent2", user="u1005")  # earlier this week
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        await type_filters(pilot, screen, agent="demo-agent2", action="reset", when="yesterday")
        assert shown(screen) == list(reversed(wanted))
        assert "Thu 2026-11-26 → Fri 2026-11-27" in text(screen, "#audit-status")
        assert "u1002" in text(screen, "#audit-detail")  # the newest is highlighted

        await pilot.press("e")
        await wait_for_screen(pilot, AuditExportScreen)
        target = tmp_path / "yesterday-resets.csv"
        app.screen.query_one("#export-path", Input).value = str(target)
        app.screen.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "Exported 8 entries" in text(app.screen, "#export-message")
        rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
        assert [(r["seq"], r["actor"], r["target_user"]) for r in rows] == [
            *((str(seq), "demo-agent2", user) for seq, user in seeded),
            (str(wanted[-2]), "demo-agent2", "u1001"),
            (str(wanted[-1]), "demo-agent2", "u1002"),
        ]
        assert not (tmp_path / "yesterday-resets.csv.part").exists()
        await pilot.press("escape")
        await wait_for_screen(pilot, AuditLogScreen)


async def test_an_agent_cannot_open_the_audit_log(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    notices: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        notify = app.notify

        def record(message: str, **kwargs: Any) -> None:
            notices.append(message)
            notify(message, **kwargs)

        app.notify = record  # type: ignore[method-assign]
        await sign_in(pilot, ctx, "demo-agent")
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert notices == ["The audit log is for team leads only."]
        # Even pushed directly, the service refuses an agent and the screen shows nothing.
        await app.push_screen(AuditLogScreen())
        await settle(pilot)
        assert "only a team lead may do this" in notices[-1]
        assert shown(app.screen) == []  # type: ignore[arg-type]


async def test_new_entries_appear_at_the_top_while_the_lead_watches(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        before = shown(screen)
        fresh = await add(ctx, timedelta(0), "demo-agent", user="u1007")
        assert await screen.poll_new_entries() == 1
        await pilot.pause()
        assert shown(screen) == [fresh, *before]
        assert "live, 1 new" in text(screen, "#audit-status")
        assert await screen.poll_new_entries() == 0


async def test_a_filtered_view_only_takes_new_entries_that_match(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        await type_filters(pilot, screen, agent="demo-agent2")
        before = shown(screen)  # demo-agent2's newest entries from the demo world's past
        assert before
        await add(ctx, timedelta(0), "demo-agent")
        assert await screen.poll_new_entries() == 0
        mine = await add(ctx, timedelta(0), "demo-agent2")
        assert await screen.poll_new_entries() == 1
        await pilot.pause()
        assert shown(screen) == [mine, *before]


async def test_older_and_newer_pages(ctx: ServiceContext) -> None:
    for n in range(60):
        await add(ctx, timedelta(minutes=60 - n), "demo-agent", action="ticket.note")
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        await type_filters(pilot, screen, action="ticket.note")
        first = shown(screen)
        assert len(first) == 50 and "] older" in text(screen, "#audit-status")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert len(shown(screen)) == 10 and max(shown(screen)) < min(first)
        assert not screen.live  # an older page does not take live entries
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert shown(screen) == first


async def test_a_range_the_desk_cannot_read_is_said_on_screen(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        before = shown(screen)
        await type_filters(pilot, screen, when="the other day")
        assert "cannot read 'the other day'" in text(screen, "#audit-status")
        assert shown(screen) == before


async def test_verify_shows_where_the_chain_breaks_and_jumps_to_it(ctx: ServiceContext) -> None:
    seq = await add(ctx, timedelta(hours=3), "demo-agent2")
    await add(ctx, timedelta(hours=2), "demo-agent2")
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        await pilot.press("v")
        await wait_for_screen(pilot, AuditVerifyScreen)
        await settle(pilot)
        assert "intact" in text(app.screen, "#verify-message")
        await pilot.press("escape")
        await wait_for_screen(pilot, AuditLogScreen)
        async with ctx.engine.begin() as conn:
            await conn.execute(
                update(audit_log).where(audit_log.c.seq == seq).values(target_user="u0000")
            )
        await pilot.press("v")
        await wait_for_screen(pilot, AuditVerifyScreen)
        await settle(pilot)
        assert f"broken at entry {seq} (edited)" in text(app.screen, "#verify-message")
        await pilot.press("enter")
        await wait_for_screen(pilot, AuditLogScreen)
        await settle(pilot)
        assert shown(screen) == [seq]
        assert "u0000" in text(screen, "#audit-detail")
        await pilot.press("escape")  # back to the whole log
        await settle(pilot)
        assert len(shown(screen)) > 1


async def test_a_review_item_opens_its_entries(ctx: ServiceContext) -> None:
    first = await add(ctx, timedelta(days=2), "demo-agent", user="u1009")
    second = await add(ctx, timedelta(hours=4), "demo-agent2", user="u1009")
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        await pilot.press("w")
        await wait_for_screen(pilot, AuditReviewScreen)
        await settle(pilot)
        review = app.screen
        assert isinstance(review, AuditReviewScreen)
        titles = [item.title for item in review.items]
        assert "u1009: reset 2 times within 1 day" in titles
        review.query_one("#review-items").highlighted = titles.index(  # type: ignore[attr-defined]
            "u1009: reset 2 times within 1 day"
        )
        await pilot.press("enter")
        await wait_for_screen(pilot, AuditLogScreen)
        await settle(pilot)
        assert shown(screen) == [second, first]
        assert "u1009: reset 2 times" in text(screen, "#audit-status")


async def test_the_review_queue_fetches_the_next_page_at_its_end_or_with_m(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(AuditReviewScreen, "PAGE", 2)  # the demo's queue has five items
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_audit(pilot, ctx)
        await pilot.press("w")
        await wait_for_screen(pilot, AuditReviewScreen)
        await settle(pilot)
        review = app.screen
        assert isinstance(review, AuditReviewScreen)
        assert len(review.items) == 2 and review.next_cursor is not None
        assert "m or the last item fetches more" in text(review, "#review-status")
        await pilot.press("m")
        await settle(pilot)
        assert len(review.items) == 4
        await pilot.press("end")  # onto the last item shown: the next page follows
        await settle(pilot)
        assert review.next_cursor is None
        assert app.backend is not None
        everything = await app.backend.audit_review(
            since=review.since, until=review.until, zone=review.zone_name, limit=500
        )
        assert review.items == everything.items and len(review.items) == 5
        assert everything.next_cursor is None
        assert "that is all" in text(review, "#review-status")


async def test_the_chart_counts_each_agents_actions_and_resets(ctx: ServiceContext) -> None:
    thursday = datetime(2026, 11, 26, tzinfo=UTC)
    async with ctx.engine.connect() as conn:  # the demo world's past on that day
        past = (
            (
                await conn.execute(
                    select(audit_log.c.action)
                    .where(audit_log.c.actor == "demo-agent2")
                    .where(
                        audit_log.c.at >= thursday, audit_log.c.at < thursday + timedelta(days=1)
                    )
                )
            )
            .scalars()
            .all()
        )
    past_resets = sum("reset" in action for action in past)
    for _ in range(3):
        await add(ctx, timedelta(days=1), "demo-agent2")
    await add(ctx, timedelta(days=1), "demo-agent2", action="sms.resend")
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_audit(pilot, ctx)
        await pilot.press("c")
        await wait_for_screen(pilot, AuditChartScreen)
        await settle(pilot)
        chart = app.screen
        assert isinstance(chart, AuditChartScreen) and chart.counts is not None
        cells = {(c.agent, c.day.isoformat()): (c.total, c.resets) for c in chart.counts.cells}
        assert cells[("demo-agent2", "2026-11-26")] == (len(past) + 4, past_resets + 3)
        drawn = str(chart.query_one("#audit-chart", Static).render())
        assert "demo-agent2" in drawn and "resets" in drawn


def test_reset_bars_are_red_and_scaled_to_the_busiest_reset_day() -> None:
    from datetime import date

    days = [date(2026, 11, 25), date(2026, 11, 26)]
    counts = AuditCounts(
        zone="UTC",
        days=days,
        agents=["dana"],
        cells=[
            AgentDayCount(day=days[0], agent="dana", total=200, resets=0),
            AgentDayCount(day=days[1], agent="dana", total=100, resets=2),
        ],
    )
    drawn = chart_text(counts, width=60)
    lines = drawn.plain.splitlines()
    totals_line = next(line for line in lines if line.startswith("dana"))
    resets_line = next(line for line in lines if line.strip().startswith("resets"))
    assert "█" in totals_line and "▄" in totals_line  # 100 is half of the busiest day
    assert resets_line.split()[1:] == ["·", "█", "2"]  # two resets fill their own scale
    red = [span for span in drawn.spans if "red" in str(span.style)]
    assert any(drawn.plain[s.start : s.end] == "  █" for s in red)


@pytest.fixture(autouse=True)
def _quiet_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live poll timer stays out of the way: tests call poll_new_entries themselves."""
    monkeypatch.setattr("supportdesk.tui.screens.audit_log.LIVE_POLL_S", 3600.0)


async def test_the_palette_offers_the_logs_own_commands(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_audit(pilot, ctx)
        commands = {name: action for name, action, _help in screen.palette_commands()}
        commands["Audit: verify the chain"]()
        await wait_for_screen(pilot, AuditVerifyScreen)
        await settle(pilot)
        assert "intact" in text(app.screen, "#verify-message")


async def test_the_desk_keeps_a_receipt_and_names_a_cut_log(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    await add(ctx, timedelta(hours=3), "demo-agent2")
    await add(ctx, timedelta(hours=2), "demo-agent2")
    app = make_desk(ctx, settings=desk_settings(data_dir=tmp_path / "desk"))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_audit(pilot, ctx)
        await pilot.press("v")
        await wait_for_screen(pilot, AuditVerifyScreen)
        receipts = tmp_path / "desk" / "audit-receipts"
        await until(pilot, lambda: list(receipts.glob("*.json")), "a receipt is kept")
        assert "intact" in text(app.screen, "#verify-message")
        kept = list(receipts.glob("*.json"))
        assert len(kept) == 1 and '"signature"' in kept[0].read_text(encoding="utf-8")
        await pilot.press("escape")
        await wait_for_screen(pilot, AuditLogScreen)
        async with ctx.engine.begin() as conn:  # cut the newest entries, rewrite the head
            newest = (await conn.execute(select(func.max(audit_log.c.seq)))).scalar_one()
            kept_hash = (
                await conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == newest - 2))
            ).scalar_one()
            await conn.execute(delete(audit_log).where(audit_log.c.seq > newest - 2))
            await conn.execute(update(audit_head).values(seq=newest - 2, hash=kept_hash))
        await pilot.press("v")
        await wait_for_screen(pilot, AuditVerifyScreen)
        await until(
            pilot, lambda: "truncated" in text(app.screen, "#verify-message"), "the cut is named"
        )
        assert "intact" in text(app.screen, "#verify-message")  # the walk alone is fooled


async def test_the_provider_log_key_is_dimmed_with_why_on_the_built_in_provider(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_audit(pilot, ctx)
        assert screen.selected_entry() is not None

        assert screen.check_action("provider_rows", ()) is None  # dimmed, not hidden
        reason = screen.unavailable_reason("provider_rows")
        assert reason is not None and "desk's own audit log" in reason
        await pilot.press("question_mark")  # the key is listed in the help, dimmed
        await until(pilot, lambda: bool(app.screen.query("HelpPanel")), "the help panel")
        [active] = [
            b for b in app.screen.active_bindings.values() if b.binding.id == "audit.provider"
        ]
        assert active.binding.description == "Provider log" and not active.enabled
        await pilot.press("question_mark")
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, AuditLogScreen)  # nothing opens


async def test_a_provider_row_whose_signature_fails_is_said_in_words(
    ctx: ServiceContext,
) -> None:
    """The dialog as privacyIDEA's answer fills it (the live suite reads a real one); the
    built-in back end answers with its reason first."""
    at = ctx.clock.now()
    rows = [
        ProviderAuditRow(
            number=41,
            at=at,
            action="POST /token/reset",
            serial="TOTP-1",
            success=True,
            info="",
            signature_ok=False,
        ),
        ProviderAuditRow(
            number=40,
            at=at - timedelta(minutes=1),
            action="POST /validate/check",
            serial="TOTP-1",
            success=False,
            info="wrong otp value",
            signature_ok=True,
        ),
    ]
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_audit(pilot, ctx)
        await app.push_screen(ProviderAuditScreen("u1001", UTC))
        dialog = await wait_for_screen(pilot, ProviderAuditScreen)
        assert "desk's own audit log" in text(dialog, "#provider-audit-status")

        dialog.show(ProviderAudit(provider="privacyidea", user_id="u1001", rows=rows))
        await pilot.pause()

        status = text(dialog, "#provider-audit-status")
        assert "2 rows in privacyIDEA's audit · 1 failed the signature check" in status
        table = dialog.query_one("#provider-audit-table", DataTable)
        signatures = [str(table.get_row_at(i)[5]) for i in range(table.row_count)]
        assert signatures == ["FAILED", "verified"]
        assert "does NOT check out" in text(dialog, "#provider-audit-info")
        await pilot.press("down")
        assert "wrong otp value" in text(dialog, "#provider-audit-info")
