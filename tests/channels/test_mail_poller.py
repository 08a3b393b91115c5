"""The poller against a real Dovecot: exactly once across failures, restarts and
cancellation; IDLE; reconnecting; refusing what cannot be a ticket."""

from __future__ import annotations

import asyncio
import ssl

import pytest

from supportdesk.service.channels.mail import HandlerFailed, MailDelivery, MailPoller, MailSettings
from supportdesk.service.channels.mail.imap_conn import MailboxError
from supportdesk.service.channels.mail.poller import PollerState
from tests.channels.mailserver import Mailbox, MailWorld
from tests.channels.waiting import DEADLINE_S, Intake


def _fill(world: MailWorld, support: Mailbox, count: int) -> list[str]:
    user = world.new_mailbox()
    return [
        world.send_as(user, support.address, f"Ticket {n}", f"Problem number {n}.")
        for n in range(1, count + 1)
    ]


async def test_a_failing_intake_mid_batch_then_a_restart_takes_every_message_once(
    mail_servers: MailWorld,
) -> None:
    support = mail_servers.new_mailbox()
    ids = _fill(mail_servers, support, 5)
    settings = MailSettings(**mail_servers.mail_settings(support))
    failed_once: list[str] = []

    def fail_third_once(delivery: MailDelivery) -> bool:
        key = delivery.mail.message_id if delivery.mail else ""
        if key == ids[2] and not failed_once:
            failed_once.append(key)
            return True
        return False

    intake = Intake(fail_on=fail_third_once)
    with pytest.raises(HandlerFailed):
        await MailPoller(settings, intake).sync_once()
    assert list(intake.tickets) == ids[:2]
    assert intake.checkpoint is not None and intake.checkpoint.last_uid == 2

    restarted = MailPoller(settings, intake, checkpoint=intake.checkpoint)
    assert await restarted.sync_once() == 3
    assert list(intake.tickets) == ids
    assert intake.offers == [ids[0], ids[1], ids[2], ids[2], ids[3], ids[4]]
    assert await MailPoller(settings, intake, checkpoint=intake.checkpoint).sync_once() == 0


async def test_a_cancelled_poller_resumes_from_its_checkpoint_without_retaking(
    mail_servers: MailWorld,
) -> None:
    support = mail_servers.new_mailbox()
    ids = _fill(mail_servers, support, 5)
    settings = MailSettings(**mail_servers.mail_settings(support))
    stuck = asyncio.Event()
    intake = Intake()

    async def hangs_on_the_third(delivery: MailDelivery) -> None:
        if delivery.mail is not None and delivery.mail.message_id == ids[2]:
            stuck.set()
            await asyncio.Event().wait()  # the database call that never returns
        await intake(delivery)

    task = asyncio.create_task(MailPoller(settings, hangs_on_the_third).run())
    await asyncio.wait_for(stuck.wait(), DEADLINE_S)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(intake.tickets) == ids[:2]

    assert await MailPoller(settings, intake, checkpoint=intake.checkpoint).sync_once() == 3
    assert list(intake.tickets) == ids
    assert intake.offers == ids


async def test_the_running_poller_backs_off_and_retries_a_failed_message(
    mail_servers: MailWorld,
) -> None:
    support = mail_servers.new_mailbox()
    ids = _fill(mail_servers, support, 3)
    settings = MailSettings(**mail_servers.mail_settings(support))
    failures = iter([False, True])
    intake = Intake(fail_on=lambda d: next(failures, False))
    states: list[PollerState] = []
    poller = MailPoller(settings, intake, on_state=states.append)
    task = asyncio.create_task(poller.run())
    try:
        await intake.wait_for(3)
    finally:
        poller.stop()
        await task
    assert list(intake.tickets) == ids
    assert intake.offers == [ids[0], ids[1], ids[1], ids[2]]
    assert "backing_off" in states


async def test_idle_wakes_the_poller_when_mail_arrives(mail_servers: MailWorld) -> None:
    support = mail_servers.new_mailbox()
    settings = MailSettings(**mail_servers.mail_settings(support, poll_interval_s=3600))
    intake = Intake()
    poller = MailPoller(settings, intake)
    task = asyncio.create_task(poller.run())
    try:
        await poller.wait_for_state("idle", DEADLINE_S)
        assert intake.tickets == {}
        [message_id] = _fill(mail_servers, support, 1)
        await intake.wait_for(1)  # an hour before the next poll: only IDLE can bring it
        await poller.wait_for_state("idle", DEADLINE_S)
    finally:
        poller.stop()
        await task
    assert list(intake.tickets) == [message_id]


async def test_without_idle_the_poller_waits_for_its_interval(mail_servers: MailWorld) -> None:
    support = mail_servers.new_mailbox()
    settings = MailSettings(**mail_servers.mail_settings(support, idle=False))
    poller = MailPoller(settings, Intake())
    task = asyncio.create_task(poller.run())
    try:
        await poller.wait_for_state("waiting", DEADLINE_S)
    finally:
        poller.stop()
        await task
    assert poller.state == "stopped"


async def test_the_poller_reconnects_when_the_server_drops_it(mail_servers: MailWorld) -> None:
    support = mail_servers.new_mailbox()
    settings = MailSettings(**mail_servers.mail_settings(support))
    intake = Intake()
    states: list[PollerState] = []
    back_idle = asyncio.Event()

    def record(state: PollerState) -> None:
        states.append(state)
        if state == "idle" and "backing_off" in states:
            back_idle.set()

    poller = MailPoller(settings, intake, on_state=record)
    task = asyncio.create_task(poller.run())
    try:
        await poller.wait_for_state("idle", DEADLINE_S)
        mail_servers.dovecot.kick(support)
        await asyncio.wait_for(back_idle.wait(), DEADLINE_S)
        [message_id] = _fill(mail_servers, support, 1)
        await intake.wait_for(1)
    finally:
        poller.stop()
        await task
    assert list(intake.tickets) == [message_id]
    assert states.count("connecting") == 2


@pytest.mark.parametrize("security", ["starttls", "plain"])
async def test_starttls_and_loopback_plain_read_the_same_mailbox(
    mail_servers: MailWorld, security: str
) -> None:
    support = mail_servers.new_mailbox()
    ids = _fill(mail_servers, support, 1)
    fields = mail_servers.mail_settings(
        support, imap_security=security, imap_port=mail_servers.dovecot.imap_port
    )
    intake = Intake()
    assert await MailPoller(MailSettings(**fields), intake).sync_once() == 1
    assert list(intake.tickets) == ids


async def test_a_certificate_that_does_not_verify_is_refused(mail_servers: MailWorld) -> None:
    support = mail_servers.new_mailbox()
    settings = MailSettings(**mail_servers.mail_settings(support, ca_file=None))
    with pytest.raises(ssl.SSLCertVerificationError):
        await MailPoller(settings, Intake()).sync_once()


async def test_a_wrong_password_is_a_clear_error(mail_servers: MailWorld) -> None:
    support = mail_servers.new_mailbox()
    settings = MailSettings(**mail_servers.mail_settings(support, imap_password="wrong"))
    with pytest.raises(MailboxError, match=r"(?i)authentication failed"):
        await MailPoller(settings, Intake()).sync_once()


async def test_oversize_and_senderless_mail_is_refused_and_still_taken_once(
    mail_servers: MailWorld,
) -> None:
    support = mail_servers.new_mailbox()
    user = mail_servers.new_mailbox()
    big = mail_servers.send_as(user, support.address, "Logs", "log line\n" * 700)
    senderless = b"Subject: no sender\r\nMessage-ID: <nofrom@user.test>\r\n\r\nhi\r\n"
    mail_servers.submit(user, senderless, support.address)
    settings = MailSettings(**mail_servers.mail_settings(support, max_message_bytes=4000))
    intake = Intake()
    assert await MailPoller(settings, intake).sync_once() == 2
    refusals = [d.rejected for d in intake.tickets.values()]
    assert [r.reason for r in refusals if r] == ["oversize", "no_sender"]
    oversize = refusals[0]
    assert oversize is not None
    assert oversize.sender == user.address and oversize.message_id == big
    assert "limit is 4000" in oversize.message
    assert all("\\Seen" in flags for flags in mail_servers.flags(support))
    again = MailPoller(settings, intake, checkpoint=intake.checkpoint)
    assert await again.sync_once() == 0
