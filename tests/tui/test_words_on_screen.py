"""Words, not codes, wherever an agent reads: toasts, lists, country names, what each step
offers, the e-mail masked the way the service masks it."""

from __future__ import annotations

import re
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from supportdesk.rules.tree import BRANCH_TITLES, TICKET_OUTCOMES
from supportdesk.service.context import ServiceContext
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.challenge import ChallengeDialog
from supportdesk.tui.screens.confirm_recovery import ConfirmRecovery
from supportdesk.tui.screens.lost_device import LostDeviceScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.screens.sms import SmsScreen
from supportdesk.tui.screens.switch_to_app import SwitchScreen
from supportdesk.tui.widgets.verification_checklist import VerificationChecklist
from tests.tui.support import (
    Notices,
    latest_message_code,
    make_desk,
    settle,
    sign_in,
    text,
    until,
    wait_for_screen,
    wait_for_text,
)

CODE_LIKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
"""What an internal code looks like: words joined by underscores."""


async def open_branch(pilot: Pilot[int], ticket_id: str, key: str, kind: type[Any]) -> None:
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    queue.open_ticket_id(ticket_id)
    await wait_for_screen(pilot, AccountScreen)
    await pilot.press(key)
    await wait_for_screen(pilot, kind)


async def test_no_internal_outcome_code_in_any_toast(ctx: ServiceContext) -> None:
    """Resolving from the account and from two branches: every toast is in words."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        notices = Notices(app)
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1043", "s", SmsScreen)  # Brazil: move to the app
        await pilot.press("t")
        await wait_for_screen(pilot, SwitchScreen)
        await pilot.press("enter")
        await wait_for_screen(pilot, SmsScreen)
        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        app.screen.query_one("#note", Input).value = "Brazil is not on the SMS list"
        await pilot.press("enter")
        await wait_for_screen(pilot, QueueScreen)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        queue.open_ticket_id("T-1054")
        await wait_for_screen(pilot, AccountScreen)
        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        await pilot.press("down", "down")  # choose an outcome on the list
        await pilot.press("enter")
        app.screen.query_one("#note", Input).value = "Explained"
        app.screen.query_one("#note", Input).focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, QueueScreen)
        await settle(pilot)
    assert "T-1043 resolved: Moved the user to the authenticator app" in notices.messages
    assert any(m.startswith("T-1054 resolved: ") for m in notices.messages)
    for title, message in notices.shown:
        assert not any(code in message for code in TICKET_OUTCOMES), message
        assert not CODE_LIKE.search(f"{title} {message}"), (title, message)


async def test_the_isle_of_man_is_named_and_sms_is_not_offered_as_a_backup(
    ctx: ServiceContext,
) -> None:
    """T-1044: a Manx number; SMS cannot reach it, so no resend is promised either."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1044", "s", SmsScreen)
        assert "Isle of Man (IM)" in text(app, "#sms-card")
        switch = text(app, "#step-switch")
        assert "Still nothing after a resend?" not in switch
        assert "No text can reach this number" in switch
        await pilot.press("t")
        await wait_for_screen(pilot, SwitchScreen)
        consequence = text(app, "#switch-consequence")
        assert "backup" not in consequence and "no text reaches it" in consequence


async def test_still_nothing_after_a_resend_only_where_a_resend_is_possible(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1042", "s", SmsScreen)  # a US mobile: resend works
        assert "Still nothing after a resend?" in text(app, "#step-switch")
        await pilot.press("escape", "escape")
        await wait_for_screen(pilot, QueueScreen)
        await open_branch(pilot, "T-1045", "s", SmsScreen)  # a landline: no text at all
        assert "Still nothing after a resend?" not in text(app, "#step-switch")


async def test_the_palette_names_the_branches_by_their_titles(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        queue.open_ticket_id("T-1042")
        account = await wait_for_screen(pilot, AccountScreen)
        commands = account.palette_commands()
        names = [name for name, _run, _help in commands]
        helps = [help_text for _name, _run, help_text in commands]
        for title in list(BRANCH_TITLES.values())[:4]:
            assert title in names
        assert not any("Branch" in h for h in helps)


async def test_the_lost_key_is_not_offered_as_another_way_in(ctx: ServiceContext) -> None:
    """T-1051: Sanne's only factor is the YubiKey she lost."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1051", "l", LostDeviceScreen)
        ways = text(app, "#other-ways")
        assert "Security key" not in ways
        assert "No other method is left" in ways


async def test_after_a_reset_the_screen_says_what_happens_next(ctx: ServiceContext) -> None:
    """T-1050: once MFA is reset there is no "reset MFA (R)" left to suggest."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1050", "l", LostDeviceScreen)
        await pilot.press("R")
        await wait_for_screen(pilot, ChallengeDialog)
        await pilot.press(*await latest_message_code(ctx.engine, "u1008"), "enter")
        await wait_for_screen(pilot, LostDeviceScreen)
        await pilot.press("space", "R")
        await wait_for_screen(pilot, ConfirmRecovery)
        app.screen.query_one("#confirm-reason", Input).value = "Phone stolen; verified"
        await pilot.press("enter")
        await wait_for_screen(pilot, LostDeviceScreen)
        ways = await wait_for_text(pilot, "#other-ways", "MFA was reset")
        assert "No other method is left" not in ways and "reset MFA" not in ways


async def test_a_tick_that_counts_for_nothing_says_why(ctx: ServiceContext) -> None:
    """After the e-mail code, "came from the e-mail on file" adds nothing: same mailbox."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1050", "l", LostDeviceScreen)
        await pilot.press("c")
        dialog = await wait_for_screen(pilot, ChallengeDialog)
        offered = dialog.query_one("#routes", OptionList).get_option_at_index(0).prompt
        assert "a•••@cascadefreight.example" in str(offered)  # masked, as the service does
        await pilot.press(*await latest_message_code(ctx.engine, "u1008"), "enter")
        screen = await wait_for_screen(pilot, LostDeviceScreen)
        checklist = screen.query_one(VerificationChecklist)
        checklist.focus_list()
        await pilot.press("down", "space")  # "The request came from the e-mail on file"
        await until(pilot, lambda: "adds nothing" in text(app, "#check-help"), "the note")
        said = text(app, "#check-help")
        assert "e-mail code already rests on the same mailbox" in said


async def test_the_move_to_app_reason_shows_its_start(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1044", "s", SmsScreen)
        await pilot.press("t")
        dialog = await wait_for_screen(pilot, SwitchScreen)
        reason = dialog.query_one("#switch-reason", Input)
        assert reason.scroll_x == 0 and reason.value.startswith("Texts do not arrive")
