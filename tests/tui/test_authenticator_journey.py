"""T-1047, "App says my code is invalid", walked at the desk: from the queue, through the
codes Ray reads off his slow phone, to the verdict and a resolved ticket; and the
re-enrolment path for an app that holds an old secret."""

from __future__ import annotations

from datetime import timedelta

from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Digits, Input, OptionList, Select, Static

from supportdesk.api.recovery import RecoveryResult
from supportdesk.embedded import client_for
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.phone import read_demo_phone
from supportdesk.tui.app import SupportDeskApp
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.approvals import ApprovalsScreen
from supportdesk.tui.screens.authenticator import AuthenticatorScreen
from supportdesk.tui.screens.challenge import ChallengeDialog
from supportdesk.tui.screens.confirm_recovery import ConfirmRecovery
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.reenrol import ReenrolScreen
from supportdesk.tui.screens.resolve import ResolveScreen
from tests.support import sign_in_as
from tests.tui.support import (
    email_verification,
    latest_message_code,
    make_desk,
    newest_approval_id,
    settle,
    sign_in,
    wait_for_screen,
)


def text_of(app: SupportDeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def open_branch(pilot: Pilot[int], ctx: ServiceContext, ticket_id: str) -> None:
    """Sign in, then queue → the ticket's account → `a` for the authenticator branch."""
    await sign_in(pilot, ctx)
    await open_ticket_branch(pilot, ticket_id)


async def open_ticket_branch(pilot: Pilot[int], ticket_id: str) -> None:
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    queue.open_ticket_id(ticket_id)
    await wait_for_screen(pilot, AccountScreen)
    await settle(pilot)
    await pilot.press("a")
    await wait_for_screen(pilot, AuthenticatorScreen)


async def type_and_check(pilot: Pilot[int], code: str, next_code: str, phone_time: str) -> None:
    """Fill the three fields as typed, then Enter from the last one."""
    screen = pilot.app.screen
    screen.query_one("#code-now", Input).value = code
    screen.query_one("#code-next", Input).value = next_code
    screen.query_one("#phone-time", Input).value = phone_time
    screen.query_one("#phone-time", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_t1047_from_the_queue_through_the_codes_to_resolved(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_branch(pilot, ctx, "T-1047")
        assert "Google Authenticator" in str(app.screen.query_one(".auth-step", Static).render())
        assert app.focused is not None and app.focused.id == "code-now"

        # Ray reads the code, waits for it to change, reads the next one.
        first = await read_demo_phone(ctx.engine, "u1005", ctx.clock.now())
        await pilot.press(*first.code, "enter")
        assert app.focused is not None and app.focused.id == "code-next"
        ctx.clock.advance(timedelta(seconds=first.seconds_left))
        second = await read_demo_phone(ctx.engine, "u1005", ctx.clock.now())
        # Two codes make the match certain: Enter checks (Tab would add the phone's time).
        await pilot.press(*second.code, "enter")
        await settle(pilot)

        figure = app.screen.query_one("#drift-digits", Digits).value
        assert figure.startswith("-2:")  # two and a bit minutes slow, drawn large
        caption = text_of(app, "#drift-caption")
        assert "min:s slow" in caption and "from 2 codes, one match" in caption
        assert text_of(app, "#verdict-title") == "Set the date and time to automatic"
        steps = text_of(app, "#verdict-steps")
        assert "1. iPhone or iPad" in steps and "Android" in steps

        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        assert app.screen.query_one("#outcome", Select).value == "clock_fixed"
        app.screen.query_one("#note", Input).value = "Phone 2.5 min slow; set to automatic."
        await pilot.press("enter")
        await wait_for_screen(pilot, QueueScreen)
        await settle(pilot)
        assert "T-1047" not in app.screen.tickets  # type: ignore[attr-defined]


async def test_what_cannot_be_read_is_said_before_and_by_the_service(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_branch(pilot, ctx, "T-1047")
        await pilot.press(*"12345a", "enter", "enter", "enter")  # letters never reach the field
        await settle(pilot)
        assert text_of(app, "#auth-message") == (
            "That has 5 digits: a code is 6 digits (spaces and dashes are fine)."
        )
        assert app.focused is not None and app.focused.id == "code-now"

        await type_and_check(pilot, "", "", "teatime")
        assert "Could not read a time in 'teatime'" in text_of(app, "#auth-message")
        assert app.focused is not None and app.focused.id == "phone-time"


async def test_an_old_secret_is_re_enrolled_behind_a_confirmation(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_branch(pilot, ctx, "T-1047")
        # Codes from some other account, and a phone clock that is right (9:42 in Chicago).
        await type_and_check(pilot, "000000", "999999", "9:42 AM")
        assert text_of(app, "#verdict-title") == "The app holds an old secret: re-enrol"
        assert "min:s in step" in text_of(app, "#drift-caption")

        await pilot.press("n")
        await wait_for_screen(pilot, ReenrolScreen)
        consequence = text_of(app, "#reenrol-consequence")
        assert "every code it shows will be refused" in consequence
        assert "new QR code" in consequence and "no other method" in consequence
        # A code e-mailed to the address on file, read back: the service checks it.
        await pilot.press("enter")  # on "Send a code"
        await wait_for_screen(pilot, ChallengeDialog)
        routes = app.screen.query_one("#routes", OptionList)
        offered = [str(routes.get_option_at_index(i).prompt) for i in range(routes.option_count)]
        # The e-mail is masked as the service masks it; the only route is sent at once.
        assert offered == ["E-mail a code to r•••@lonestarreefer.example (on file)"]
        await settle(pilot)
        await pilot.press(*await latest_message_code(ctx.engine, "u1005"), "enter")
        await wait_for_screen(pilot, ReenrolScreen)
        await settle(pilot)
        assert "✓ e-mail code read back" in text_of(app, "#reenrol-verified")
        assert app.screen.query_one("#reenrol-check", Select).is_blank()
        assert app.focused is not None and app.focused.id == "reenrol-reason"
        app.focused.value = "stale secret: clock right, codes match nowhere"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for_screen(pilot, AuthenticatorScreen)
        await settle(pilot)
        assert "Re-enrolled:" in text_of(app, "#reenrol-state")

        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        assert app.screen.query_one("#outcome", Select).value == "reenrolled"
        app.screen.query_one("#note", Input).value = "Re-enrolled; new QR at next sign-in."
        await pilot.press("enter")
        await wait_for_screen(pilot, QueueScreen)

    async with client_for(ctx) as client:
        started = await client.enduser_sign_in("ray.castillo@lonestarreefer.example", "demo")
    assert (started.status, started.enrol_required) == ("setup_required", "totp")


async def test_an_admins_re_enrolment_goes_to_a_lead_who_approves_it_in_the_inbox(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_branch(pilot, ctx, "T-1052")  # Denise Washington, an administrator
        await type_and_check(pilot, "", "", "9:42 AM")
        await pilot.press("n")
        await wait_for_screen(pilot, ReenrolScreen)
        assert "A team lead must approve." in text_of(app, "#reenrol-needs")
        assert str(app.screen.query_one("#reenrol", Button).label) == "Send to a lead"
        app.screen.query_one("#reenrol-check", Select).value = "account_owner_callback"
        app.screen.query_one("#reenrol-reason", Input).value = "Authy restored from a backup"
        app.screen.query_one("#reenrol-reason", Input).focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, AuthenticatorScreen)
        await settle(pilot)
        state = text_of(app, "#reenrol-state")
        filed = await newest_approval_id(ctx)
        assert state.startswith(f"Waiting for a team lead: Stored as request #{filed}")
        assert "Denise's app keeps working" in state
        assert app.screen.check_action("reenrol", ()) is False  # one request is enough
        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        assert app.screen.query_one("#outcome", Select).value == "escalated"

    ctx.clock.advance(timedelta(seconds=30))
    lead_desk = make_desk(ctx)
    async with lead_desk.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx, "demo-lead")
        await pilot.press("p")
        await wait_for_screen(pilot, ApprovalsScreen)
        await settle(pilot)
        row = [str(c) for c in lead_desk.screen.query_one("#approvals", DataTable).get_row_at(0)]
        assert row[1:4] == ["Re-enrol app", "Denise Washington", "demo-agent"]
        detail = text_of(lead_desk, "#approval-detail")
        assert f"#{filed} Re-enrol the authenticator app (new QR code) · pending" in detail
        assert "Factor: Authenticator app 'Authy'" in detail
        await pilot.press("a")
        await wait_for_screen(pilot, ConfirmRecovery)
        assert "Denise Washington scans a new QR code" in text_of(lead_desk, "#confirm-body")
        await pilot.press("enter")
        await wait_for_screen(pilot, ApprovalsScreen)
        await settle(pilot)
        assert "nothing is waiting for a decision" in text_of(lead_desk, "#approvals-title")

    async with client_for(ctx) as client:
        started = await client.enduser_sign_in("denise.washington@greatlakesdryvan.example", "demo")
    assert (started.status, started.enrol_required) == ("setup_required", "totp")


async def test_refusals_an_agent_meets_on_this_branch(
    ctx: ServiceContext,
) -> None:
    async with client_for(ctx) as other_desk:  # a colleague already asked a lead
        await sign_in_as(other_desk, ctx, "demo-agent2")
        verified = await email_verification(other_desk, ctx, "u1004", "T-1052")
        filed = await other_desk.reenrol_totp(
            "u1004", "T-1052", reason="lost the Authy phone", verification_ids=[verified]
        )
    assert isinstance(filed, RecoveryResult) and filed.approval is not None
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_branch(pilot, ctx, "T-1052")  # Denise Washington, an administrator
        await type_and_check(pilot, "", "", "9:42 AM")
        await pilot.press("n")
        await wait_for_screen(pilot, ReenrolScreen)
        app.screen.query_one("#reenrol-check", Select).value = "account_owner_callback"
        app.screen.query_one("#reenrol-reason", Input).value = "lost the Authy phone"
        app.screen.query_one("#reenrol-reason", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReenrolScreen)
        message = text_of(app, "#reenrol-message")
        assert f"Request #{filed.approval.id}" in message
        assert "already waiting for a lead" in message
        assert not app.screen.query_one("#reenrol").display  # nothing left to retry here

        # Back to the queue, and on to a user who gets codes by SMS only.
        await pilot.press("escape", "escape", "escape")
        await wait_for_screen(pilot, QueueScreen)
        await open_ticket_branch(pilot, "T-1042")
        assert text_of(app, "#auth-message") == "Tyler Brooks has no authenticator app set up."
        assert app.screen.query_one("#code-now", Input).disabled


async def test_the_reenrol_dialog_fits_80x24_and_challenges_without_the_app(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_branch(pilot, ctx, "T-1057")  # Sean Gallagher: MFA reset recently
        await type_and_check(pilot, "", "", "9:42 AM")
        await pilot.press("n")
        await wait_for_screen(pilot, ReenrolScreen)
        await pilot.pause()
        screen = app.screen
        assert "A team lead must approve." in text_of(app, "#reenrol-needs")
        dialog = screen.query_one("#reenrol-dialog")
        assert screen.region.contains_region(dialog.region)
        for button_id in ("#reenrol-challenge", "#reenrol"):
            button = screen.query_one(button_id, Button)
            assert screen.region.contains_region(button.region), button_id
            assert dialog.content_region.contains_region(button.region), button_id
        assert app.focused is screen.query_one("#reenrol-challenge", Button)

        # Nothing chosen yet: the dialog says what is missing, where it can be seen.
        screen.query_one("#reenrol-reason", Input).value = "new phone, codes refused"
        screen.query_one("#reenrol-reason", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "Send a code for the user to read back" in text_of(app, "#reenrol-message")
        message = screen.query_one("#reenrol-message", Static)
        assert screen.query_one("#reenrol-body").region.contains_region(message.region)
        assert app.focused is screen.query_one("#reenrol-challenge", Button)

        # Keyboard only: c offers the challenge, never through the app being re-enrolled.
        await pilot.press("c")
        await wait_for_screen(pilot, ChallengeDialog)
        routes = app.screen.query_one("#routes", OptionList)
        offered = [str(routes.get_option_at_index(i).prompt) for i in range(routes.option_count)]
        assert offered and not any("Authenticator app" in o for o in offered)
        assert offered[-1].startswith("E-mail a code to")
        await pilot.press("escape")
        await wait_for_screen(pilot, ReenrolScreen)
