"""What an agent and a newcomer see: a ticket arriving in the desk's queue by itself.

The pilot drives the real desk on the embedded service while a real e-mail (Dovecot,
SMTP) arrives; `supportdesk demo message` drops one into the demo desk the same way,
and the agent's reply to it lands in the demo user's own mailbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from supportdesk.cli import main
from supportdesk.service.channels.mail import MailSettings
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.phone import read_demo_inbox
from supportdesk.service.demo.store import open_demo_context
from supportdesk.service.ops.mailbox import start_mailbox
from supportdesk.service.ops.tickets import list_tickets
from supportdesk.tui.screens import queue as queue_screen
from supportdesk.tui.screens.queue import QueueScreen
from tests.channels.intake_support import use_mailbox_as
from tests.channels.mailserver import MailWorld
from tests.support import sign_in_as
from tests.tui.support import make_desk, sign_in, until

pytestmark = pytest.mark.usefixtures("triage_model")


async def test_an_e_mail_appears_in_the_desk_queue_while_the_agent_watches(
    ctx: ServiceContext, mail_servers: MailWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_screen, "QUEUE_POLL_S", 0.2)
    support, user, stranger = (mail_servers.new_mailbox() for _ in range(3))
    ctx.mail = MailSettings(**mail_servers.mail_settings(support))
    await use_mailbox_as(ctx, "u1003", user.address)
    runner = await start_mailbox(ctx)
    assert runner is not None and runner.poller is not None
    app = make_desk(ctx)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await sign_in(pilot, ctx)
            queue = app.screen
            assert isinstance(queue, QueueScreen)
            before = set(queue.tickets)
            await runner.poller.wait_for_state("idle", 15)
            mail_servers.send_as(user, support.address, "Code rejected", "My code is rejected.")
            await until(pilot, lambda: set(queue.tickets) - before, "the e-mail in the queue")
            [new] = [queue.tickets[i] for i in set(queue.tickets) - before]
            assert new.user_id == "u1003" and new.channel == "email"
            table = queue.query_one("#queue", DataTable)
            row = table.get_row(new.id)
            assert new.user_name in [str(cell) for cell in row]

            # A stranger's mail arrives too; its account cannot be opened, and the desk says why.
            mail_servers.send_as(stranger, support.address, "Hello", "Is MFA mandatory?")
            await until(pilot, lambda: len(set(queue.tickets) - before) == 2, "the stranger's")
            [odd] = [t for t in queue.tickets.values() if t.sender == stranger.address]
            queue.open_ticket_id(odd.id)
            await pilot.pause()
            assert isinstance(app.screen, QueueScreen)
            notices = [n.message for n in app._notifications]
            assert any("unknown sender" in m and stranger.address in m for m in notices)
    finally:
        await runner.stop()


def test_demo_message_drops_a_ticket_into_the_demo_queue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("SUPPORTDESK_DATA_DIR", str(data))
    assert main(["demo", "message", "I never get the SMS code"]) == 0
    said = capsys.readouterr().out
    assert "arrived from Marisol Baca (u1001) by messenger; triage: sms_not_received" in said
    again = said.strip().splitlines()[-1].split(": ", 1)[1]
    assert again.startswith("supportdesk demo message 'Any news?' --conversation demo-")
    conversation = again.rsplit(" ", 1)[1]
    assert main(["demo", "message", "Any news?", "--conversation", conversation]) == 0
    assert "Added to" in capsys.readouterr().out
    assert main(["demo", "message", "  "]) == 2
    assert "the text is empty" in capsys.readouterr().err


async def test_a_reply_to_a_demo_message_reaches_the_demo_users_mailbox(tmp_path: Path) -> None:
    from supportdesk.embedded import client_for
    from supportdesk.service.ops.intake import demo_message

    ctx = await open_demo_context(tmp_path)
    try:
        seeded = len(await list_tickets(ctx, status="open", user_id=None, limit=500))
        drop = await demo_message(
            ctx.engine, "Can I use Bitwarden?", sender="marisol.baca@redmesafreight.example"
        )
        assert drop.taken.ticket_id is not None
        assert len(await list_tickets(ctx, status="open", user_id=None, limit=500)) == seeded + 1
        async with client_for(ctx) as agent:
            await sign_in_as(agent, ctx, "demo-agent")
            done = await agent.resolve_ticket(
                drop.taken.ticket_id,
                "explained",
                "password managers",
                reply="Yes, Bitwarden works.",
            )
        assert done.status == "resolved" and done.replies[0].delivery_state == "sent"
        inbox = await read_demo_inbox(ctx.engine, "u1001", ctx.clock.now())
        assert inbox is not None
        assert any("Bitwarden works" in mail.body for mail in inbox.emails)
    finally:
        await ctx.engine.dispose()
