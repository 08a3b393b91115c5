"""The support mailbox inside the service: real Dovecot and SMTP, the real intake, each store.

A user's e-mail becomes a triaged ticket in the agent's queue within seconds, a thread
answer joins its ticket, and a poller stopped in the middle of a batch (after a commit,
or before one) takes every message exactly once when it starts again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.models import Ticket
from supportdesk.embedded import client_for
from supportdesk.service.channels.mail import MailDelivery, MailSettings
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.app import build_app
from supportdesk.service.ops.intake import mail_checkpoint, take_mail
from supportdesk.service.ops.mailbox import MailboxRunner, start_mailbox
from supportdesk.service.ops.tickets import list_tickets
from tests.channels.intake_support import (
    audit_actions,
    eventually,
    intake_counts,
    use_mailbox_as,
)
from tests.channels.mailserver import Mailbox, MailWorld
from tests.support import sign_in_as

pytestmark = pytest.mark.usefixtures("triage_model")


@pytest.fixture
async def agent(any_ctx: ServiceContext) -> AsyncIterator[SupportDeskClient]:
    async with client_for(any_ctx) as client:
        await sign_in_as(client, any_ctx, "demo-agent")
        yield client


def _mailbox(ctx: ServiceContext, world: MailWorld) -> Mailbox:
    support = world.new_mailbox()
    ctx.mail = MailSettings(**world.mail_settings(support))
    return support


async def test_a_users_mail_is_a_triaged_ticket_in_the_queue_within_seconds(
    any_ctx: ServiceContext, agent: SupportDeskClient, mail_servers: MailWorld
) -> None:
    support = _mailbox(any_ctx, mail_servers)
    user = mail_servers.new_mailbox()
    await use_mailbox_as(any_ctx, "u1001", user.address)
    runner = await start_mailbox(any_ctx)
    assert runner is not None
    try:
        assert runner.poller is not None
        await runner.poller.wait_for_state("idle", 15)
        mail_servers.send_as(
            user,
            support.address,
            "No SMS code",
            "Hi, I asked for the code three times and no text ever came.\n\n"
            "-- \nMarisol Baca\nRed Mesa Freight\n",
        )

        async def arrived() -> str | None:
            found = [t for t in await agent.list_tickets() if t.sender == user.address]
            return found[0].id if found else None

        ticket_id = await eventually(arrived, "the e-mail in the queue")
    finally:
        await runner.stop()
    ticket = await agent.get_ticket(ticket_id)
    assert ticket.user_id == "u1001" and ticket.user_name == "Marisol Baca"
    assert ticket.subject == "No SMS code"
    assert ticket.text == "Hi, I asked for the code three times and no text ever came."
    assert ticket.triage is not None and ticket.triage.branch == "sms_not_received"
    [message] = await agent.ticket_messages(ticket_id)
    assert "Red Mesa Freight" in message.original  # the signature is kept, not shown
    assert await audit_actions(any_ctx, ticket_id) == ["ticket.received"]


async def test_an_answer_in_the_thread_joins_the_ticket_and_a_stranger_is_an_unknown_user(
    any_ctx: ServiceContext, agent: SupportDeskClient, mail_servers: MailWorld
) -> None:
    support = _mailbox(any_ctx, mail_servers)
    stranger = mail_servers.new_mailbox()
    runner = await start_mailbox(any_ctx)
    assert runner is not None and runner.poller is not None
    try:
        await runner.poller.wait_for_state("idle", 15)
        first = mail_servers.send_as(
            stranger, support.address, "Password reset", "I forgot my password, please reset it."
        )

        async def one() -> str | None:
            found = [t for t in await agent.list_tickets() if t.sender == stranger.address]
            return found[0].id if found else None

        ticket_id = await eventually(one, "the stranger's ticket")
        mail_servers.send_as(
            stranger,
            support.address,
            "Re: Password reset",
            "Any news?\n\nOn Fri, 27 Nov 2026 at 15:40, me wrote:\n> I forgot my password",
            In_Reply_To=first,
            References=first,
        )

        async def two() -> int | None:
            messages = await agent.ticket_messages(ticket_id)
            return len(messages) if len(messages) == 2 else None

        await eventually(two, "the answer on the same ticket")
    finally:
        await runner.stop()
    ticket = await agent.get_ticket(ticket_id)
    assert ticket.user_id is None and ticket.sender == stranger.address
    assert ticket.triage is not None and ticket.triage.branch == "not_mfa"
    assert [m.body for m in await agent.ticket_messages(ticket_id)] == [
        "I forgot my password, please reset it.",
        "Any news?",
    ]
    assert len([t for t in await agent.list_tickets() if t.sender == stranger.address]) == 1


@pytest.mark.parametrize("stop_at", ["after_a_commit", "before_a_commit"])
async def test_a_poller_stopped_mid_batch_takes_every_message_once_after_a_restart(
    any_ctx: ServiceContext, mail_servers: MailWorld, stop_at: str
) -> None:
    support = _mailbox(any_ctx, mail_servers)
    any_ctx.settings.intake_per_sender_10min = 100
    any_ctx.settings.intake_triage = False  # the batch is about counting, not branches
    user = mail_servers.new_mailbox()
    total = 12
    for n in range(total):
        mail_servers.send_as(user, support.address, f"Message {n}", f"Body of message {n}")
    before = await intake_counts(any_ctx)

    # The first run: the intake commits three tickets, then the task dies with the
    # fourth in hand (its ticket committed but not yet flagged, or not yet committed).
    taken = 0
    stuck = asyncio.Event()

    async def dying(delivery: MailDelivery) -> None:
        nonlocal taken
        if taken == 3 and stop_at == "before_a_commit":
            stuck.set()
            await asyncio.Event().wait()
        await take_mail(any_ctx, delivery)
        taken += 1
        if taken == 4 and stop_at == "after_a_commit":
            stuck.set()
            await asyncio.Event().wait()

    first = MailboxRunner(any_ctx, handler=dying)
    await first.start()
    await asyncio.wait_for(stuck.wait(), 15)
    assert first.task is not None
    first.task.cancel()  # killed, not asked to stop
    with pytest.raises(asyncio.CancelledError):
        await first.task
    committed = 4 if stop_at == "after_a_commit" else 3
    assert (await intake_counts(any_ctx))[0] - before[0] == committed
    checkpoint = await mail_checkpoint(any_ctx, "INBOX")
    assert checkpoint is not None and checkpoint.last_uid == committed

    # The restart resumes from the stored checkpoint and takes the rest, once each.
    second = MailboxRunner(any_ctx)
    await second.start()
    try:

        async def all_taken() -> tuple[int, int, int] | None:
            counts = await intake_counts(any_ctx)
            return counts if counts[0] - before[0] >= total else None

        await eventually(all_taken, "every message taken")
        assert second.poller is not None
        await second.poller.wait_for_state("idle", 15)
    finally:
        await second.stop()
    keys, made, inbound = await intake_counts(any_ctx)
    assert (keys - before[0], made - before[1], inbound - before[2]) == (total, total, total)
    subjects = sorted(t.subject for t in await _tickets_of(any_ctx, user.address))
    assert subjects == sorted(f"Message {n}" for n in range(total))
    # The message whose commit beat the crash was never flagged; its checkpoint moved
    # with its ticket, so it was not taken again (a person may still see it unread).
    unflagged = [
        n for n, f in enumerate(mail_servers.flags(support)) if "$SupportdeskTaken" not in f
    ]
    assert unflagged == ([3] if stop_at == "after_a_commit" else [])


async def _tickets_of(ctx: ServiceContext, sender: str) -> list[Ticket]:
    found = await list_tickets(ctx, status="all", user_id=None, limit=500)
    return [t for t in found if t.sender == sender]


async def test_the_served_app_reads_the_mailbox_while_it_runs(
    any_ctx: ServiceContext, agent: SupportDeskClient, mail_servers: MailWorld
) -> None:
    """What `supportdesk serve` runs: the app's lifespan starts the poller and stops it."""
    support = _mailbox(any_ctx, mail_servers)
    user = mail_servers.new_mailbox()
    app = build_app(any_ctx)
    async with app.router.lifespan_context(app):
        mail_servers.send_as(user, support.address, "Lost my phone", "My phone was stolen.")

        async def arrived() -> str | None:
            found = [t for t in await agent.list_tickets() if t.sender == user.address]
            return found[0].id if found else None

        await eventually(arrived, "the e-mail taken by the served app")
    # Stopped with the app: a mail sent now stays in the mailbox, untaken.
    mail_servers.send_as(user, support.address, "Still there?", "Hello?")
    assert "$SupportdeskTaken" not in mail_servers.flags(support)[-1]
