"""The desk itself (Textual's pilot) in front of a live privacyIDEA: the authenticator
branch's journeys on the same screens as on the built-in provider, with privacyIDEA's
fixes (resync, reset the fail counter) where it has them."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input

from supportdesk.service.provider.privacyidea import PrivacyIdeaClient
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.authenticator import AuthenticatorScreen
from supportdesk.tui.screens.queue import QueueScreen
from tests.privacyidea.desk import KIOSK, PiDesk
from tests.privacyidea.people import Phone
from tests.privacyidea.seed import World
from tests.tui.support import make_desk, settle, sign_in, text, wait_for_screen, wait_for_text

DEADLINE_S = 30.0


async def open_authenticator(pilot: Pilot[int], desk: PiDesk, ticket_id: str) -> None:
    """Sign in with the desk's own agent account, then ticket → account → `a`."""
    await sign_in(pilot, desk.ctx, KIOSK)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    queue.open_ticket_id(ticket_id)
    await wait_for_screen(pilot, AccountScreen, DEADLINE_S)
    await settle(pilot, DEADLINE_S)
    await pilot.press("a")
    await wait_for_screen(pilot, AuthenticatorScreen, DEADLINE_S)


async def test_resync_a_drifted_app_from_the_authenticator_screen(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, enroll_totp: Callable[[str], Phone], pi_world: World
) -> None:
    username = pi_world.user_without_token
    phone = enroll_totp(username)
    phone.clock_offset_s = pi_world.drift_s
    user_id = await pi_desk.user_id(username)
    ticket = await pi_desk.ticket(user_id, "App says my code is invalid")
    app = make_desk(pi_desk.ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_authenticator(pilot, pi_desk, ticket)
        screen = app.screen
        first, second = phone.resync_codes()
        screen.query_one("#code-now", Input).value = first
        screen.query_one("#code-next", Input).value = second
        await pilot.press("ctrl+y")
        await settle(pilot, DEADLINE_S)

        await wait_for_text(pilot, "#verdict-title", "Resynced", DEADLINE_S)
        assert "about 7 min fast" in text(app, "#verdict-headline")
        assert "accepted again" in text(app, "#verdict-steps")
    assert (await pi.validate_check(phone.next_code(), serial=phone.serial)).accepted
    [entry] = await pi_desk.entries("totp.resync", user_id)
    assert entry["outcome"] == "success" and phone.serial in str(entry["detail"])
    assert await pi_desk.chain_intact()


async def test_a_locked_token_is_said_and_unlocked_with_one_key(
    pi_desk: PiDesk, pi: PrivacyIdeaClient, enroll_totp: Callable[[str], Phone]
) -> None:
    phone = enroll_totp("tyler.brooks")
    for _ in range(10):
        await pi.validate_check(phone.wrong_code(), serial=phone.serial)
    user_id = await pi_desk.user_id("tyler.brooks")
    ticket = await pi_desk.ticket(user_id, "Locked out of the app")
    app = make_desk(pi_desk.ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_authenticator(pilot, pi_desk, ticket)
        said = text(app, "#auth-message")
        assert "is locked: 10 wrong codes reached its limit of 10" in said
        assert "Press u" in said

        await pilot.press("u")
        await settle(pilot, DEADLINE_S)

        await wait_for_text(pilot, "#verdict-title", "Fail counter reset", DEADLINE_S)
        assert "stood at 10 of 10" in text(app, "#verdict-headline")
    assert (await pi.validate_check(phone.next_code(), serial=phone.serial)).accepted
    [entry] = await pi_desk.entries("factor.unlock", user_id)
    assert entry["outcome"] == "success" and entry["actor"] == KIOSK
    assert await pi_desk.chain_intact()


async def test_what_privacyidea_cannot_do_is_dimmed_with_why(
    pi_desk: PiDesk, enroll_totp: Callable[[str], Phone]
) -> None:
    enroll_totp("tyler.brooks")
    user_id = await pi_desk.user_id("tyler.brooks")
    ticket = await pi_desk.ticket(user_id, "Codes refused")
    app = make_desk(pi_desk.ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_authenticator(pilot, pi_desk, ticket)
        screen = app.screen
        assert isinstance(screen, AuthenticatorScreen)
        reason = screen.unavailable_reason("reenrol")
        assert reason is not None and "enrolment policies" in reason
        assert screen.check_action("reenrol", ()) is None  # dimmed, not hidden
        assert screen.check_action("resync", ()) is True
        assert screen.check_action("unlock", ()) is False  # nothing is locked
