"""`supportdesk demo phone NAME` in the embedded demo: besides the authenticator, the texts
and e-mails the desk sent the user, so the whole journey can be walked end to end."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.cli import main
from supportdesk.config import load_settings
from supportdesk.embedded import client_for, open_demo_context
from supportdesk.service.context import ServiceContext
from tests.support import sign_in_as

Step = Callable[[SupportDeskClient, ServiceContext], Awaitable[None]]


def in_the_embedded_world(step: Step, *, shift: timedelta = timedelta(0)) -> None:
    """Do something at the desk, as demo-agent, in the embedded demo store `demo phone` reads.

    ``shift`` moves the service's clock from now: into the past for a message sent earlier,
    ahead for a second sign-in (an agent's code is used once per 30-second step).
    """

    async def run() -> None:
        ctx = await open_demo_context(load_settings().data_dir)
        ctx.clock.advance(shift)
        try:
            async with client_for(ctx) as client:
                await sign_in_as(client, ctx, "demo-agent")
                await step(client, ctx)
        finally:
            await ctx.engine.dispose()

    asyncio.run(run())


def phone(name: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(["demo", "phone", name]) == 0
    return capsys.readouterr().out.splitlines()


def codes(line: str) -> list[str]:
    return re.findall(r"\b\d{6}\b", line)


def test_a_resent_code_shows_on_the_users_phone(capsys: pytest.CaptureFixture[str]) -> None:
    async def resend(client: SupportDeskClient, _ctx: ServiceContext) -> None:
        await client.resend_sms_code("u1002", ticket_id="T-1042")

    in_the_embedded_world(resend, shift=timedelta(minutes=-2))
    first, text = phone("u1002", capsys)
    assert first == "Tyler Brooks has no authenticator app set up."
    assert text.startswith("text 2 min ago to +1 •••-•••-0162: ")
    assert "is your Alvys verification code" in text
    [code] = codes(text)
    assert text.endswith("Alvys will never ask you for it.")
    assert code in text.split(": ", 1)[1]


def test_a_text_the_carrier_still_holds_is_marked_not_on_the_phone_yet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def resend(client: SupportDeskClient, _ctx: ServiceContext) -> None:
        await client.resend_sms_code("u1002", ticket_id="T-1042")

    in_the_embedded_world(resend)
    _, text = phone("u1002", capsys)
    assert re.match(r"text (just now|\d+ s ago) to \+1 •••-•••-0162 \[not on the phone yet", text)
    assert len(codes(text)) == 1


def test_an_e_mail_challenge_code_shows_in_the_users_mailbox(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sent: list[str] = []

    async def challenge(client: SupportDeskClient, _ctx: ServiceContext) -> None:
        sent.append((await client.send_challenge("u1002", ticket_id="T-1042", channel="email")).id)

    in_the_embedded_world(challenge)
    lines = phone("u1002", capsys)
    [mail] = [line for line in lines if line.startswith("e-mail ")]
    assert re.match(r"e-mail (just now|\d+ s ago) to t•••@redmesafreight\.example: ", mail)
    assert "Your Alvys support verification code — Alvys Support: your verification code" in mail
    [code] = codes(mail)

    async def answer(client: SupportDeskClient, _ctx: ServiceContext) -> None:
        answered = await client.answer_challenge(sent[0], code)
        assert answered.check == "email_code"

    in_the_embedded_world(answer, shift=timedelta(seconds=30))


def test_texts_and_e_mails_are_newest_first_at_most_three_each(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def busy_morning(client: SupportDeskClient, ctx: ServiceContext) -> None:
        for _ in range(4):
            await client.resend_sms_code("u1002", ticket_id="T-1042")
            await client.send_challenge("u1002", ticket_id="T-1042", channel="email")
            ctx.clock.advance(timedelta(minutes=2))  # past both per-30-s limits

    in_the_embedded_world(busy_morning, shift=timedelta(minutes=-10))
    lines = phone("u1002", capsys)[1:]
    assert [line.split(" to ")[0] for line in lines] == [
        "text 4 min ago",
        "text 6 min ago",
        "text 8 min ago",
        "e-mail 4 min ago",
        "e-mail 6 min ago",
        "e-mail 8 min ago",
    ]


def test_a_user_without_an_authenticator_no_longer_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert phone("tyler.brooks@redmesafreight.example", capsys) == [
        "Tyler Brooks has no authenticator app set up.",
        "No texts or e-mails from Alvys to Tyler Brooks yet.",
    ]


def test_a_user_with_an_app_shows_the_code_first_then_the_inbox(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, rest = phone("u1005", capsys)
    assert first.startswith("Ray ") and "runs 150 s slow" in first
    assert rest.startswith("No texts or e-mails from Alvys to ")
    assert phone("demo-agent", capsys)[1:] == []  # agents get no texts from Alvys
