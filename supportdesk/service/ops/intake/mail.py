"""The mailbox's deliveries: each message with the checkpoint it moves."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from supportdesk.service.channels.mail.models import InboundMail, MailCheckpoint, MailRejected
from supportdesk.service.channels.mail.poller import MailDelivery
from supportdesk.service.channels.mail.threads import thread_ticket_ref
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.intake.core import Arrival, Taken, first_line, refuse, take
from supportdesk.service.store import intake as store
from supportdesk.service.store.engine import reading

log = logging.getLogger(__name__)


async def take_mail(ctx: ServiceContext, delivery: MailDelivery) -> Taken:
    """One message from the poller, with its checkpoint; never raises for its content."""
    if delivery.rejected is not None:
        return await _refuse_mail(ctx, delivery.rejected, delivery)
    mail = delivery.mail
    assert mail is not None
    key = f"mail:{mail.message_id}"
    if mail.automatic:
        return await refuse(
            ctx,
            key,
            sender=mail.from_address,
            reason="an automatic message (auto-reply, bounce or list mail): no ticket",
            checkpoint=delivery.checkpoint,
            outcome="ignored",
        )
    domain = ctx.mail.support_domain
    named = thread_ticket_ref(mail, domain)
    return await take(ctx, _mail_arrival(mail, key, named), checkpoint=delivery.checkpoint)


def _mail_arrival(mail: InboundMail, key: str, named: str | None) -> Arrival:
    return Arrival(
        key=key,
        channel="email",
        sender=mail.from_address,
        sender_name=mail.from_name,
        user_id_hint=None,
        email=mail.from_address,
        subject=(mail.subject.strip() or first_line(mail.ticket_text))[:200],
        body=mail.ticket_text,
        original=mail.original_text,
        at=mail.sent_at,
        message_id=mail.message_id,
        refs={
            "message_id": mail.message_id,
            "in_reply_to": mail.in_reply_to,
            "references": list(mail.references),
            "reply_to": mail.reply_to or mail.from_address,
            "from_name": mail.from_name,
            "subject": mail.subject,
            "truncated": mail.truncated,
            "attachments": mail.attachments,
        },
        thread_candidates=(named,) if named else (),
        thread_message_ids=mail.thread_ids,
    )


async def _refuse_mail(
    ctx: ServiceContext, rejected: MailRejected, delivery: MailDelivery
) -> Taken:
    cp = delivery.checkpoint
    key = (
        f"mail:{rejected.message_id}"
        if rejected.message_id
        else f"mail-uid:{cp.folder}:{cp.uidvalidity}:{delivery.uid}"
    )
    return await refuse(
        ctx, key, sender=rejected.sender, reason=rejected.message, checkpoint=cp, outcome="refused"
    )


async def mail_checkpoint(ctx: ServiceContext, folder: str) -> MailCheckpoint | None:
    """Where the poller left off (stored with the last ticket it made)."""
    async with reading(ctx.engine) as conn:
        row = await store.checkpoint(conn, folder)
    if row is None:
        return None
    return MailCheckpoint(
        folder=row["folder"], uidvalidity=row["uidvalidity"], last_uid=row["last_uid"]
    )


MailHandler = Callable[[MailDelivery], Awaitable[None]]


def mail_handler(ctx: ServiceContext) -> MailHandler:
    """The poller's handler: each delivery taken, the outcome logged."""

    async def handle(delivery: MailDelivery) -> None:
        taken = await take_mail(ctx, delivery)
        log.info("mail uid %s: %s (%s)", delivery.uid, taken.outcome, taken.message)

    return handle
