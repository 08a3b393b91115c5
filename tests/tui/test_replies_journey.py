"""Replies from the desk: a question answered from the article without opening an account,
a why-prompted ticket resolved with its explanation, a correction of the guessed branch,
and a pasted code stopped before anything is sent."""

from __future__ import annotations

import json

from textual.pilot import Pilot
from textual.widgets import OptionList, TextArea

from supportdesk.rules.quick_answers import quick_answer
from supportdesk.service.context import ServiceContext
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.branch_picker import BranchPicker
from supportdesk.tui.screens.lost_device import LostDeviceScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.quick_answers import QuickAnswerPicker
from supportdesk.tui.screens.reply import ReplyScreen
from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.screens.why_prompted import WhyPromptedScreen
from supportdesk.tui.widgets.fit_table import FitTable
from tests.tui.support import (
    audit_rows,
    make_desk,
    settle,
    sign_in,
    text,
    until,
    wait_for_screen,
    wait_for_text,
)


async def highlight(pilot: Pilot[int], ctx: ServiceContext, ticket_id: str) -> QueueScreen:
    await sign_in(pilot, ctx)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    await settle(pilot)
    table = queue.query_one("#queue", FitTable)
    table.move_cursor(row=table.get_row_index(ticket_id))
    await pilot.pause()
    return queue


def row_cells(queue: QueueScreen, ticket_id: str) -> list[str]:
    table = queue.query_one("#queue", FitTable)
    return [str(c) for c in table.get_row(ticket_id)]


async def resolved_ticket(ctx: ServiceContext, ticket_id: str) -> dict[str, object]:
    from supportdesk.service.ops.tickets import get_ticket

    return (await get_ticket(ctx, ticket_id)).model_dump()


async def test_bitwarden_question_answered_and_resolved_without_opening_an_account(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        queue = await highlight(pilot, ctx, "T-1062")
        assert row_cells(queue, "T-1062")[2] == "Setup help 99%"
        await pilot.press("enter")
        reply = await wait_for_screen(pilot, ReplyScreen)
        assert app.screen_stack[-2] is queue  # straight from the queue: no account
        snippets = reply.query_one("#reply-snippets", OptionList)
        assert reply.snippets[snippets.highlighted or 0].id == "password_managers"
        await pilot.press("enter")  # insert the highlighted answer
        area = reply.query_one("#reply-text", TextArea)
        assert area.text == quick_answer("password_managers").text
        await pilot.press("ctrl+s")
        resolve = await wait_for_screen(pilot, ResolveScreen)
        assert resolve.query_one("#outcome").value == "question_answered"  # type: ignore[attr-defined]
        assert "With the reply to Jenna" in text(app, "#resolve-reply")
        await pilot.press("enter")
        await wait_for_screen(pilot, QueueScreen)
        await until(pilot, lambda: "T-1062" not in queue.tickets, "T-1062 off the queue")
        assert not any(isinstance(s, AccountScreen) for s in app.screen_stack)
    ticket = await resolved_ticket(ctx, "T-1062")
    assert ticket["status"] == "resolved" and ticket["outcome"] == "question_answered"
    [sent] = ticket["replies"]  # type: ignore[misc]
    assert sent["body"] == quick_answer("password_managers").text
    assert sent["delivery_state"] == "recorded"
    assert [e["action"] for e in await audit_rows(ctx, user="u1006")] == [
        "ticket.resolve",
        "ticket.reply",
    ]


async def test_why_does_it_keep_asking_resolved_with_the_explanation_in_the_reply(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await highlight(pilot, ctx, "T-1053")
        await pilot.press("enter")  # the why-prompted branch, over the user's account
        why = await wait_for_screen(pilot, WhyPromptedScreen)
        assert isinstance(app.screen_stack[-2], AccountScreen)
        await until(pilot, lambda: bool(why.reply), "the explanation")
        explanation = why.reply
        await pilot.press("m")
        reply = await wait_for_screen(pilot, ReplyScreen)
        assert reply.snippets[0].id == "explanation"
        await pilot.press("enter")
        assert reply.query_one("#reply-text", TextArea).text == explanation
        await pilot.press("ctrl+s")
        resolve = await wait_for_screen(pilot, ResolveScreen)
        assert resolve.query_one("#outcome").value == "explained"  # type: ignore[attr-defined]
        await pilot.press("enter")
        queue = await wait_for_screen(pilot, QueueScreen)
        await until(pilot, lambda: "T-1053" not in queue.tickets, "T-1053 off the queue")
    ticket = await resolved_ticket(ctx, "T-1053")
    assert ticket["outcome"] == "explained"
    assert [r["body"] for r in ticket["replies"]] == [explanation]  # type: ignore[attr-defined]
    assert explanation.startswith("Hi ")


async def test_another_branch_is_recorded_as_the_agents_correction(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        queue = await highlight(pilot, ctx, "T-1057")
        assert row_cells(queue, "T-1057")[2].startswith("Why asked")
        await pilot.press("b")
        picker = await wait_for_screen(pilot, BranchPicker)
        options = picker.query_one("#branch-list", OptionList)
        options.highlighted = 2  # Lost phone or security key
        await pilot.press("enter")
        await wait_for_screen(pilot, QueueScreen)
        await until(
            pilot, lambda: row_cells(queue, "T-1057")[2] == "✎ Lost device", "the corrected row"
        )
        await pilot.press("enter")  # Enter now follows the agent's branch
        await wait_for_screen(pilot, LostDeviceScreen)
    [entry] = await audit_rows(ctx, action="ticket.branch_corrected")
    assert entry["ticket_id"] == "T-1057" and entry["actor"] == "demo-agent"
    assert json.loads(entry["detail"]) == {"guessed": "why_prompted", "branch": "lost_device"}


async def test_a_pasted_code_is_stopped_with_the_reason_and_nothing_is_sent(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await highlight(pilot, ctx, "T-1062")
        await pilot.press("m")
        reply = await wait_for_screen(pilot, ReplyScreen)
        area = reply.query_one("#reply-text", TextArea)
        area.focus()
        await pilot.press(*"Your code is 482913")
        await pilot.press("ctrl+s")
        await wait_for_text(pilot, "#reply-message", "Not sent: This looks like a one-time code")
        assert app.screen is reply and area.selected_text == "482913"
        await pilot.press("ctrl+r")  # sending on its own is stopped the same way
        await settle(pilot)
        assert app.screen is reply
    ticket = await resolved_ticket(ctx, "T-1062")
    assert ticket["status"] == "open" and ticket["replies"] == []
    assert await audit_rows(ctx, action="ticket.reply") == []


async def test_a_quick_answer_found_by_words_goes_into_a_reply_and_is_shown_on_the_ticket(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await highlight(pilot, ctx, "T-1042")
        await pilot.press("q")
        await wait_for_screen(pilot, QuickAnswerPicker)
        await pilot.press(*"which countries sms")
        await pilot.press("enter")
        reply = await wait_for_screen(pilot, ReplyScreen)
        area = reply.query_one("#reply-text", TextArea)
        assert "countries" in area.text
        await pilot.press("ctrl+r")  # sent along the way: the ticket stays open
        await until(pilot, lambda: len(reply.ticket.replies) == 1, "the reply on the ticket")
        assert "kept with the ticket" in text(app, "#reply-previous")
        await pilot.press("escape")
        queue = await wait_for_screen(pilot, QueueScreen)
        assert "T-1042" in queue.tickets
        await pilot.press("o")
        await wait_for_screen(pilot, AccountScreen)
        assert "Reply by demo-agent: kept with the ticket" in text(app, "#ticket-card")


async def test_an_unsure_ticket_shows_the_top_two_and_enter_opens_the_account(
    ctx: ServiceContext,
) -> None:
    from supportdesk.rules.tree import Branch
    from supportdesk.service.ops.ticket_triage import store_arrival_triage
    from supportdesk.triage import Guess, Triage

    unsure = Triage(top=(Guess(Branch.SETUP_HELP, 0.41), Guess(Branch.NOT_MFA, 0.32)))
    async with ctx.engine.begin() as conn:  # as if it had arrived with this guess
        await store_arrival_triage(conn, "T-1042", unsure, at=ctx.clock.now())
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        queue = await highlight(pilot, ctx, "T-1042")
        assert row_cells(queue, "T-1042")[2] == "? Setup/Not MFA"
        await pilot.press("enter")
        account = await wait_for_screen(pilot, AccountScreen)
        assert "Unsure: Setting up MFA (a question) 41% or Not about MFA 32%" in text(
            account, "#ticket-card"
        )
