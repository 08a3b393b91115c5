"""Branch 1 at the desk: an agent walks "I'm not getting the text code" from the queue to a
resolved ticket, by keyboard, and sees what the carrier and the provider's limits say."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from supportdesk.embedded import client_for
from supportdesk.service.context import ServiceContext
from supportdesk.service.sms import OutgoingSms, SendReceipt, SmsGatewayError
from supportdesk.service.store.schema import audit_log, tickets
from supportdesk.tui.app import SupportDeskApp
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.screens.sms import SmsScreen
from supportdesk.tui.screens.switch_to_app import SwitchScreen
from supportdesk.tui.widgets.sms_delivery_log import DeliveryLog
from tests.tui.support import (
    TYLER_EMAIL,
    TYLER_PHONE,
    last_text_code,
    make_desk,
    settle,
    sign_in,
    until,
    wait_for_screen,
)


async def open_sms_screen(pilot: Pilot[int], ctx: ServiceContext, ticket_id: str) -> SmsScreen:
    """From the queue: the ticket's account, then "s" for the SMS branch."""
    await sign_in(pilot, ctx)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    queue.open_ticket_id(ticket_id)
    await wait_for_screen(pilot, AccountScreen)
    await settle(pilot)
    await pilot.press("s")
    await wait_for_screen(pilot, SmsScreen)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SmsScreen)
    return screen


def text(screen: SmsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def log_rows(screen: SmsScreen) -> list[list[str]]:
    table = screen.query_one("#sms-log", DeliveryLog)
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


def binding_state(app: SupportDeskApp, action: str) -> bool | None:
    return app.screen.check_action(action, ())


async def resolve_from_the_branch(pilot: Pilot[int], note: str) -> str | None:
    """Press x, keep the preselected outcome, type a note; the chosen outcome."""
    await pilot.press("x")
    await wait_for_screen(pilot, ResolveScreen)
    dialog = pilot.app.screen
    outcome = dialog.query_one("#outcome", Select).value
    assert dialog.focused is dialog.query_one("#note", Input)  # the outcome is already chosen
    dialog.query_one("#note", Input).value = note
    await pilot.press("enter")
    await settle(pilot)
    return outcome if isinstance(outcome, str) else None


async def audit_for(ctx: ServiceContext, ticket_id: str) -> list[tuple[str, str]]:
    async with ctx.engine.connect() as conn:
        rows = await conn.execute(
            select(audit_log.c.action, audit_log.c.outcome, audit_log.c.actor)
            .where(audit_log.c.ticket_id == ticket_id)
            .order_by(audit_log.c.seq)
        )
        found = [(r.action, r.outcome) for r in rows if r.actor == "demo-agent"]
    return found


async def ticket_row(ctx: ServiceContext, ticket_id: str) -> tuple[str, str | None]:
    async with ctx.engine.connect() as conn:
        row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).one()
    return row.status, row.outcome


async def test_t1042_walked_from_the_queue_to_a_resolved_ticket(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sms_screen(pilot, ctx, "T-1042")
        card = text(screen, "#sms-card")
        assert "+1 •••-•••-0162" in card and "United States (US)" in card
        assert "on the SMS list" in card and "5055550162" not in card
        assert "✓ 1 Country on the SMS list: United States" in text(screen, "#step-country")
        assert log_rows(screen)[0][-1] == "none sent yet"
        assert "Limits: one code every 30 s · 5 per user an hour" in text(screen, "#sms-limits")
        palette = [name for name, _, _ in screen.palette_commands()]
        assert "Resend the SMS code" in palette

        # Step 2: the number Tyler says, typed as he says it.
        await pilot.press("n", *"(505) 555-0162", "enter")
        await settle(pilot)
        assert "Same number as on file" in text(screen, "#stated-verdict")
        assert "✓ 2" in text(screen, "#step-number")
        assert not isinstance(screen.focused, Input)  # the next step is one key away

        # Step 3: resend; the provider's limit starts the countdown at once.
        await pilot.press("r")
        await settle(pilot)
        assert "A new code went to +1 •••-•••-0162" in text(screen, "#sms-message")
        assert "next code in 30 s" in text(screen, "#step-resend")
        assert binding_state(app, "resend") is None  # shown dimmed in the footer
        assert log_rows(screen)[0][1:3] == ["+1 •••-•••-0162", "queued"]

        # The carrier holds the text, then delivers it; the log follows.
        ctx.clock.advance(timedelta(seconds=10))
        screen.tick()
        screen.load_log()  # exclusive: a newer load may cancel it, so wait for what shows
        await until(pilot, lambda: log_rows(screen)[0][2] == "sent", "the log to say sent")
        assert "next code in 20 s" in text(screen, "#step-resend")
        ctx.clock.advance(timedelta(seconds=70))
        screen.tick()
        screen.poll_log()  # what the screen's timer does while a text is on its way
        await settle(pilot)
        assert log_rows(screen)[0][2] == "delivered"
        assert "next code in" not in text(screen, "#step-resend")
        assert "✓ 3 Resend the code (r): last one ✓ delivered" in text(screen, "#step-resend")
        assert binding_state(app, "resend") is True

        # The fix took effect: Tyler signs in with the code his phone received.
        async with client_for(ctx) as tyler:
            started = await tyler.enduser_sign_in(TYLER_EMAIL, "demo")
            code = await last_text_code(ctx, TYLER_PHONE)
            assert (await tyler.enduser_verify(started.challenge_id, "sms", code)).status == (
                "signed_in"
            )

        outcome = await resolve_from_the_branch(pilot, "resent; delivered after a carrier delay")
        assert outcome == "sms_resent"
        await wait_for_screen(pilot, QueueScreen)

    assert await ticket_row(ctx, "T-1042") == ("resolved", "sms_resent")
    assert await audit_for(ctx, "T-1042") == [
        ("sms.compare_number", "same_other_notation"),
        ("sms.resend", "queued"),
        ("ticket.resolve", "success"),
    ]


async def test_a_resend_inside_the_limit_shows_the_countdown(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sms_screen(pilot, ctx, "T-1042")
        # Meanwhile Tyler pressed "Resend code" on the sign-in page himself.
        async with client_for(ctx) as tyler:
            started = await tyler.enduser_sign_in(TYLER_EMAIL, "demo")
            await tyler.enduser_send_sms(started.challenge_id)
        ctx.clock.advance(timedelta(seconds=5))

        await pilot.press("r")
        await settle(pilot)
        assert "Not sent: one code every 30 s" in text(screen, "#sms-message")
        assert "next code in 25 s" in text(screen, "#step-resend")
        assert binding_state(app, "resend") is None

        ctx.clock.advance(timedelta(seconds=15))
        screen.tick()
        await pilot.pause()
        assert "next code in 10 s" in text(screen, "#step-resend")
        ctx.clock.advance(timedelta(seconds=10))
        screen.tick()
        await pilot.pause()
        assert "next code in" not in text(screen, "#step-resend")
        assert binding_state(app, "resend") is True
        await pilot.press("r")
        await settle(pilot)
        assert "A new code went to" in text(screen, "#sms-message")

    assert [a for a in await audit_for(ctx, "T-1042")] == [
        ("sms.resend", "rate_limited"),
        ("sms.resend", "queued"),
    ]


async def test_a_number_off_the_list_leads_to_the_authenticator_app(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sms_screen(pilot, ctx, "T-1043")  # Brazil
        assert "not on the SMS list" in text(screen, "#sms-card")
        assert "Brazil (BR) is not on it" in text(screen, "#step-country")
        assert "SMS codes are not sent to numbers in Brazil" in text(screen, "#step-resend")
        assert binding_state(app, "resend") is False

        await pilot.press("t")
        await wait_for_screen(pilot, SwitchScreen)
        await pilot.press("enter")
        await wait_for_screen(pilot, SmsScreen)
        await settle(pilot)
        assert "✓ 4 Authenticator app: set up at the next sign-in" in text(screen, "#step-switch")

        outcome = await resolve_from_the_branch(pilot, "Brazil is not on the SMS list")
        assert outcome == "switched_to_authenticator"
        await wait_for_screen(pilot, QueueScreen)

    assert await ticket_row(ctx, "T-1043") == ("resolved", "switched_to_authenticator")
    assert await audit_for(ctx, "T-1043") == [
        ("sms.switch_to_authenticator", "success"),
        ("ticket.resolve", "success"),
    ]
    async with client_for(ctx) as fernanda:
        started = await fernanda.enduser_sign_in("fernanda.ribeiro@cerradocargas.example", "demo")
        assert started.enrol_required == "totp"


async def test_the_landline_is_named_and_cannot_be_texted_and_escape_goes_back(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sms_screen(pilot, ctx, "T-1045")
        card = text(screen, "#sms-card")
        assert "+44 ••• ••• 0123" in card and "line: landline" in card
        assert "cannot take texts" in card
        assert "is a landline, which cannot receive texts" in text(screen, "#step-resend")
        await pilot.press("r")
        await settle(pilot)
        assert log_rows(screen)[0][-1] == "none sent yet"

        # Nothing was fixed here yet: resolving leaves the outcome to the agent.
        await pilot.press("x")
        await wait_for_screen(pilot, ResolveScreen)
        assert not isinstance(app.screen.query_one("#outcome", Select).value, str)
        await pilot.press("escape")
        await wait_for_screen(pilot, SmsScreen)

        # Escape in the number field leaves the field first, then the screen.
        await pilot.press("n", "0")
        assert isinstance(screen.focused, Input)
        await pilot.press("escape")
        assert app.screen is screen and not isinstance(screen.focused, Input)
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)


class RefusingGateway:
    """A provider that turns every text away, as a real one does for a blocked sender."""

    name = "refusing"

    async def send(self, message: OutgoingSms, now: datetime) -> SendReceipt:
        raise SmsGatewayError("Message filtered by the carrier", "30007")

    async def poll(self, provider_ref: str, to_e164: str, sent_at: datetime, now: datetime) -> None:
        return None


async def test_a_gateway_refusal_shows_the_reason_and_the_failed_delivery(
    ctx: ServiceContext,
) -> None:
    ctx.sms_gateway = RefusingGateway()
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sms_screen(pilot, ctx, "T-1042")
        await pilot.press("r")
        await settle(pilot)
        message = text(screen, "#sms-message")
        assert "The SMS provider did not take the text" in message
        assert "Message filtered by the carrier (30007)" in message
        assert log_rows(screen)[0][2:] == ["failed", "Message filtered by the carrier (30007)"]
        assert "✕ 3 Resend the code" in text(screen, "#step-resend")
    async with ctx.engine.connect() as conn:
        detail = (
            await conn.execute(
                select(audit_log.c.detail).where(audit_log.c.action == "sms.send_failed")
            )
        ).scalar_one()
    assert json.loads(detail)["reason_code"] == "30007"
