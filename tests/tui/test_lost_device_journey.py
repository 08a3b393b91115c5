"""Lost phone or key, at the desk, keyboard only, 80×24: from the queue to a resolved ticket,
with what the agent sees at each step and what really changed on the service."""

from __future__ import annotations

import json

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Static

from supportdesk.embedded import client_for
from supportdesk.rules.policy import SERVICE_ACCOUNT_GUIDANCE
from supportdesk.service.context import ServiceContext
from supportdesk.tui.app import SupportDeskApp
from supportdesk.tui.screens.access_code import AccessCodeDialog
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.challenge import ChallengeDialog
from supportdesk.tui.screens.confirm_recovery import ConfirmRecovery
from supportdesk.tui.screens.lost_device import LostDeviceScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.resolve import ResolveScreen
from tests.tui.support import (
    audit_rows,
    enduser_sign_in,
    latest_message_code,
    make_desk,
    newest_approval_id,
    settle,
    sign_in,
    user_email,
    wait_for_screen,
)


def text(app: SupportDeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def open_branch(pilot: Pilot[int], ticket_id: str) -> LostDeviceScreen:
    """From the queue, with the arrow keys and Enter (the ticket's guessed branch)."""
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    row, count = list(queue.tickets).index(ticket_id), len(queue.tickets)
    keys = ["down"] * row if row < count // 2 else ["ctrl+end", *(["up"] * (count - 1 - row))]
    await pilot.press(*keys, "enter")  # the ticket's branch, over the user's account
    await wait_for_screen(pilot, LostDeviceScreen)
    assert isinstance(pilot.app.screen_stack[-2], AccountScreen)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LostDeviceScreen)
    return screen


async def challenge_by_email(pilot: Pilot[int], ctx: ServiceContext, user_id: str) -> None:
    """c, choose the e-mail on file, type what the user reads from their mailbox."""
    await pilot.press("c")
    await wait_for_screen(pilot, ChallengeDialog)
    routes = pilot.app.screen.query_one("#routes", OptionList)
    if routes.option_count > 1:  # one route only is sent as the dialog opens
        await pilot.press(*(["down"] * (routes.option_count - 1)), "enter")
    await settle(pilot)
    code = await latest_message_code(ctx.engine, user_id)
    await pilot.press(*code, "enter")
    await wait_for_screen(pilot, LostDeviceScreen)
    await settle(pilot)


async def enter_text(pilot: Pilot[int], selector: str, value: str) -> None:
    """Fill the focused field and press Enter (typing long text key by key is slow)."""
    field = pilot.app.screen.query_one(selector, Input)
    assert field.has_focus
    field.value = value
    await pilot.press("enter")


async def confirm(pilot: Pilot[int], reason: str) -> str:
    """Read what the confirmation says will happen, then give the reason and press Enter."""
    await wait_for_screen(pilot, ConfirmRecovery)
    said = text(pilot.app, "#confirm-body")
    await enter_text(pilot, "#confirm-reason", reason)
    await settle(pilot)
    return said


async def test_the_lost_phone_ticket_walks_from_queue_to_resolved(ctx: ServiceContext) -> None:
    """T-1049: Brian lost the phone with the authenticator; the YubiKey is on his keyring."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1049")
        assert "T-1049" in text(app, ".branch-strip")
        ways = text(app, "#other-ways")
        assert "Security key 'Keyring key'" in ways
        assert "choose 'Use a security key', insert it" in ways

        # "I lost my phone": the authenticator, the one phone-held factor, is marked lost.
        assert str(app.screen.query_one("#lost-factors", DataTable).get_row_at(0)[0]) == "✗ lost"
        assert "Google Authenticator" not in text(app, "#other-ways").split("Once")[0]
        assert "Remove lost factor: 1 more check" in text(app, "#readiness")

        await pilot.press("c")
        await wait_for_screen(pilot, ChallengeDialog)
        routes = app.screen.query_one("#routes", OptionList)
        offered = [str(routes.get_option_at_index(i).prompt) for i in range(routes.option_count)]
        assert offered == ["E-mail a code to b•••@cascadefreight.example (on file)"]
        assert "security key cannot be challenged" in text(app, "#challenge-note")
        await pilot.press("escape")
        await wait_for_screen(pilot, LostDeviceScreen)
        await challenge_by_email(pilot, ctx, "u1007")
        assert "✓ e-mail code read back" in text(app, "#challenge-results")
        assert "Remove lost factor: ready" in text(app, "#readiness")

        await pilot.press("d")
        said = await confirm(pilot, "Phone lost at a truck stop; he has the YubiKey")
        assert "Removes Authenticator app 'Google Authenticator (Pixel)'" in said
        assert "then signs in with: Security key 'Keyring key'" in said
        assert "checks: e-mail code" in said
        assert "Done: Removed Authenticator app" in text(app, "#lost-result")
        assert app.screen.query_one("#lost-factors", DataTable).row_count == 1

        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        await enter_text(pilot, "#note", "Removed the lost phone; signs in with the key")
        await wait_for_screen(pilot, QueueScreen)
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen) and "T-1049" not in queue.tickets
    started = await enduser_sign_in(ctx, "u1007")
    assert started.methods == ["security_key"]
    [removal] = await audit_rows(ctx, action="factor.remove")
    assert (removal["actor"], removal["ticket_id"]) == ("demo-agent", "T-1049")
    assert json.loads(removal["verification"]) == ["email_code"]
    [resolved] = await audit_rows(ctx, action="ticket.resolve")
    assert json.loads(resolved["detail"]) == {"outcome": "factor_removed"}


async def test_a_service_account_gets_the_articles_guidance_and_no_reset(
    ctx: ServiceContext,
) -> None:
    """T-1058: the ELD integration account. No key here changes anything about it."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1058")
        guidance = " ".join(text(app, "#service-guidance").split())
        assert " ".join(SERVICE_ACCOUNT_GUIDANCE.split()) in guidance
        assert not app.screen.query("#readiness") and not app.screen.query("#lost-factors")
        await pilot.press("R", "o", "c", "d")
        await pilot.pause()
        assert isinstance(app.screen, LostDeviceScreen)
        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        assert app.screen.query_one("#outcome").value == "service_account_guidance"  # type: ignore[attr-defined]
    assert await audit_rows(ctx, user="u1033") == []


async def test_an_agents_reset_of_an_admin_is_sent_to_a_lead(ctx: ServiceContext) -> None:
    """T-1052: Denise is the account admin; the agent can only ask."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1052")
        assert "The account is an administrator." in text(app, "#lost-banner")
        # Authy, on the phone in the lake, is her only factor: it is the one lost.
        assert "No other method is left" in text(app, "#other-ways")
        assert "the only factor: reset or issue a code instead" in text(app, "#readiness")
        await challenge_by_email(pilot, ctx, "u1004")
        await pilot.press("tab", "space")  # the checklist: owner call-back
        await pilot.pause()
        assert "Reset MFA: ready, as a request for a team lead" in text(app, "#readiness")

        await pilot.press("R")
        said = await confirm(pilot, "Admin lost her only phone; called back on the company line")
        assert "This is sent to a team lead as a request: nothing changes" in said
        filed = await newest_approval_id(ctx)
        assert f"Requested: Stored as request #{filed}" in text(app, "#lost-result")
        assert f"#{filed} Reset MFA by demo-agent: waiting for a lead" in text(
            app, "#lost-requests"
        )

        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        assert app.screen.query_one("#outcome").value == "escalated"  # type: ignore[attr-defined]
    assert (await enduser_sign_in(ctx, "u1004")).status == "mfa_required"


async def test_a_reset_at_the_desk_makes_the_users_next_sign_in_demand_setup(
    ctx: ServiceContext,
) -> None:
    """T-1050: Amanda's phone was stolen and was her only factor."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1050")
        await pilot.press("R")
        # Not verified yet: nothing to confirm; the challenge it needs first opens instead.
        await wait_for_screen(pilot, ChallengeDialog)
        await pilot.press(*await latest_message_code(ctx.engine, "u1008"), "enter")
        await wait_for_screen(pilot, LostDeviceScreen)
        assert "needs 1 more check" in text(app, "#readiness")
        await pilot.press("space")  # the cursor waits on the owner call-back
        await pilot.press("R")
        said = await confirm(pilot, "Phone stolen; identity verified")
        assert "removes every factor: Authenticator app 'Authenticator on my phone'" in said
        assert "signs the user out of every session" in said
        assert "At the next sign-in Amanda Pierce sets MFA up again" in text(app, "#lost-result")
    assert (await enduser_sign_in(ctx, "u1008")).status == "setup_required"


async def test_an_access_code_is_shown_once_large_to_read_out(ctx: ServiceContext) -> None:
    """T-1051: Sanne's lost YubiKey was her only factor; IT gave her a new one."""
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await open_branch(pilot, "T-1051")
        await challenge_by_email(pilot, ctx, "u1037")
        await pilot.press("tab", "space")
        await pilot.press("o")
        said = await confirm(pilot, "Lost the only key; new key from IT")
        assert "shown to you once" in said
        await wait_for_screen(pilot, AccessCodeDialog)
        shown = text(app, "#access-code")
        code = shown.replace(" ", "")
        assert len(code) == 14 and code.count("-") == 2
        assert "shown only this once" in text(app, "#access-code-help")
        await pilot.press("enter")
        await wait_for_screen(pilot, LostDeviceScreen)
        on_screen = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert code not in on_screen and shown not in on_screen
    async with client_for(ctx) as sanne:
        started = await sanne.enduser_sign_in(await user_email(ctx, "u1037"), "demo")
        signed = await sanne.enduser_verify(started.challenge_id, "access_code", code)
    assert signed.status == "enrol_only"
