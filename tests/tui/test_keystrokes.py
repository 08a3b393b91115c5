"""Keystrokes per canonical ticket, from its highlighted queue row to resolved.

Each test drives the real desk at 80×24 with the keys an agent presses and counts them;
what the agent types as data (a number, a code, a reason, a note) is not counted, the
Enter after it is. Every change to a user's account still goes through its confirmation.
`bench/keys.py` prints the counts these tests measure.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.pilot import Pilot

from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.phone import read_demo_phone
from supportdesk.tui.screens.access_code import AccessCodeDialog
from supportdesk.tui.screens.authenticator import AuthenticatorScreen
from supportdesk.tui.screens.challenge import ChallengeDialog
from supportdesk.tui.screens.confirm_recovery import ConfirmRecovery
from supportdesk.tui.screens.lost_device import LostDeviceScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.screens.sms import SmsScreen
from supportdesk.tui.screens.why_prompted import WhyPromptedScreen
from supportdesk.tui.widgets.fit_table import FitTable
from tests.tui.support import (
    Keys,
    latest_message_code,
    make_desk,
    settle,
    sign_in,
    text,
    until,
    wait_for_screen,
    wait_for_text,
)

BUDGETS = {
    "SMS resend": 8,
    "clock drift": 6,
    "remove a lost factor": 8,
    "full reset": 10,
    "one-time access code": 10,
    "why prompted": 4,
    "service account": 4,
}


async def highlight(pilot: Pilot[int], ctx: ServiceContext, ticket_id: str) -> Keys:
    """Sign in and put the queue's cursor on the ticket (not counted: the row is where an
    agent starts); the key counter starts there."""
    await sign_in(pilot, ctx)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    table = queue.query_one("#queue", FitTable)
    table.move_cursor(row=table.get_row_index(ticket_id))
    await pilot.pause()
    return Keys(pilot)


async def resolved(pilot: Pilot[int], ctx: ServiceContext, ticket_id: str, keys: Keys) -> None:
    """The ticket is off the queue: the count is final."""
    await wait_for_screen(pilot, QueueScreen)
    await until(
        pilot, lambda: ticket_id not in pilot.app.screen.tickets, f"{ticket_id} to be resolved"
    )
    report(BUDGETS_NAME[ticket_id], keys)


BUDGETS_NAME = {
    "T-1042": "SMS resend",
    "T-1047": "clock drift",
    "T-1049": "remove a lost factor",
    "T-1050": "full reset",
    "T-1051": "one-time access code",
    "T-1054": "why prompted",
    "T-1058": "service account",
}


def report(name: str, keys: Keys) -> None:
    budget = BUDGETS[name]
    print(f"\nkeystrokes {name}: {keys.count} (budget {budget}): {' '.join(keys.log)}")
    assert keys.count <= budget, f"{name}: {keys.count} keys, budget {budget}: {keys.log}"


async def test_sms_resend(ctx: ServiceContext) -> None:
    """T-1042: Tyler's texts are late; the number is right; a resend arrives."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await highlight(pilot, ctx, "T-1042")
        await keys.press("enter")  # the ticket's branch, straight from the queue
        await wait_for_screen(pilot, SmsScreen)
        await keys.press("n")
        await keys.type("505 555 0162")
        await keys.press("enter")
        await wait_for_text(pilot, "#stated-verdict", "Same number")
        await keys.press("r")
        await wait_for_text(pilot, "#sms-message", "A new code went to")
        ctx.clock.advance(timedelta(seconds=80))  # the carrier delivers while they talk
        screen = app.screen
        assert isinstance(screen, SmsScreen)
        await until(
            pilot,
            lambda: screen.poll_log() is None and "✓ delivered" in text(app, "#step-resend"),
            "the delivery receipt",
        )
        await keys.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        assert app.screen.query_one("#outcome").value == "sms_resent"  # type: ignore[attr-defined]
        await keys.type("Resent; it arrived")
        await keys.press("enter")
        await resolved(pilot, ctx, "T-1042", keys)


async def test_clock_drift(ctx: ServiceContext) -> None:
    """T-1047: Ray's phone runs 150 s slow; two codes measure it."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await highlight(pilot, ctx, "T-1047")
        await keys.press("enter")  # the ticket's branch, straight from the queue
        await wait_for_screen(pilot, AuthenticatorScreen)
        first = await read_demo_phone(ctx.engine, "u1005", ctx.clock.now())
        await keys.type(first.code)
        await keys.press("enter")
        ctx.clock.advance(timedelta(seconds=first.seconds_left))
        second = await read_demo_phone(ctx.engine, "u1005", ctx.clock.now())
        await keys.type(second.code)
        await keys.press("enter")
        await wait_for_text(pilot, "#verdict-title", "Set the date and time to automatic")
        await keys.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        await keys.type("Phone clock 2.5 min slow: set to automatic")
        await keys.press("enter")
        await resolved(pilot, ctx, "T-1047", keys)


async def read_back_email_code(
    pilot: Pilot[int], ctx: ServiceContext, user: str, keys: Keys
) -> None:
    """The challenge opened by the action key: the e-mail code, read back."""
    await wait_for_screen(pilot, ChallengeDialog)
    await wait_for_text(pilot, "#challenge-status", "e-mail")
    await keys.type(await latest_message_code(ctx.engine, user))
    await keys.press("enter")


async def test_remove_a_lost_factor(ctx: ServiceContext) -> None:
    """T-1049: Brian lost the phone with the app; his key works."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await highlight(pilot, ctx, "T-1049")
        await keys.press("enter")  # the ticket's branch, straight from the queue
        await wait_for_screen(pilot, LostDeviceScreen)
        await keys.press("d")
        await read_back_email_code(pilot, ctx, "u1007", keys)
        await wait_for_screen(pilot, ConfirmRecovery)  # the confirmation is never skipped
        assert "Removes Authenticator app" in text(app, "#confirm-body")
        await keys.type("Phone lost; signs in with the key")
        await keys.press("enter")
        await wait_for_screen(pilot, LostDeviceScreen)
        await wait_for_text(pilot, "#lost-result", "Done:")
        await keys.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        await keys.press("enter")  # outcome and note carried over from the removal
        await resolved(pilot, ctx, "T-1049", keys)


@pytest.mark.parametrize(
    ("ticket", "user", "key"), [("T-1050", "u1008", "R"), ("T-1051", "u1037", "o")]
)
async def test_reset_or_access_code(ctx: ServiceContext, ticket: str, user: str, key: str) -> None:
    """T-1050 (stolen phone, the only factor) and T-1051 (lost key, the only factor)."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await highlight(pilot, ctx, ticket)
        await keys.press("enter")  # the ticket's branch, straight from the queue
        await wait_for_screen(pilot, LostDeviceScreen)
        await keys.press(key)
        await read_back_email_code(pilot, ctx, user, keys)
        await wait_for_screen(pilot, LostDeviceScreen)
        await wait_for_text(pilot, "#readiness", "needs 1 more check")
        await keys.press("space")  # the owner confirmed on a call-back
        await settle(pilot)
        await keys.press(key)
        await wait_for_screen(pilot, ConfirmRecovery)  # the confirmation is never skipped
        await keys.type("Lost the only factor; owner confirmed on a call-back")
        await keys.press("enter")
        if key == "o":
            await wait_for_screen(pilot, AccessCodeDialog)
            await keys.press("enter")  # read out, done: it is never shown again
        await wait_for_screen(pilot, LostDeviceScreen)
        await wait_for_text(pilot, "#lost-result", "Done:")
        await keys.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        await keys.press("enter")
        await resolved(pilot, ctx, ticket, keys)


async def test_why_prompted(ctx: ServiceContext) -> None:
    """T-1054: Kevin's Lagos sign-in: someone else has his password."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await highlight(pilot, ctx, "T-1054")
        await keys.press("enter")  # the ticket's branch, straight from the queue
        await wait_for_screen(pilot, WhyPromptedScreen)
        await keys.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        await keys.type("Told him to change his password; the code stopped the attempt")
        await keys.press("enter")
        await resolved(pilot, ctx, "T-1054", keys)


async def test_service_account(ctx: ServiceContext) -> None:
    """T-1058: the ELD integration account gets the article's answer."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await highlight(pilot, ctx, "T-1058")
        await keys.press("enter")  # the ticket's branch, straight from the queue
        await wait_for_screen(pilot, LostDeviceScreen)
        await keys.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        await keys.type("Credential manager guidance given")
        await keys.press("enter")
        await resolved(pilot, ctx, "T-1058", keys)
