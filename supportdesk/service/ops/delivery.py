"""Replies go back the way the ticket came: by SMTP in the user's thread, or into the
messenger conversation through its API.

The flow, for a reply along the way and for a resolution with a reply alike:

1. The reply is checked (`rules.reply_check`), stored "queued" under its idempotency key
   and audited (`ticket.reply`), in one transaction; the ticket stays open.
2. It is sent, outside any transaction. The idempotency key makes a retry safe: a mail
   sent again has the same Message-ID (the user's client shows it once), our messenger
   shape dedupes by ``Idempotency-Key``, and a reply already "sent" is never sent again.
3. The outcome is stored on the reply with the reason, and audited
   (`ticket.reply_sent` / `ticket.reply_failed`). Only a reply that went out resolves
   the ticket when a resolution was asked for: a failed one leaves it open, with the
   reason on the reply, and the request answers 502 saying so.

A ticket that came by no channel (the demo seed) has nowhere to send: the caller keeps
its reply "recorded". The demo desk, with no mail server configured, delivers into the
demo user's own mailbox (`supportdesk demo phone` shows it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.audit import channel_entries as channel_audit
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.channels.mail.models import MailReply
from supportdesk.service.channels.mail.smtp import MailSendError, MailSendTemporary, SmtpSender
from supportdesk.service.channels.mail.threads import reply_subject
from supportdesk.service.channels.messenger.models import (
    ConversationRef,
    OutboundReply,
    ReplyError,
    ReplyTemporary,
)
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, NotFound
from supportdesk.service.ops.common import Principal
from supportdesk.service.ops.replies import FAILED, QUEUED, SENT, checked_reply, record_reply
from supportdesk.service.store import inbox, tickets
from supportdesk.service.store import intake as intake_store

MAY_HAVE_LANDED = "may have been sent"
"""How a failure starts when the messenger may show the reply anyway (no idempotency)."""


class ReplyNotDelivered(Conflict):
    """The reply is stored (failed, with the reason) and the ticket is still open (409:
    the desk shows the message as a refusal, not as the service being down)."""

    code = "reply_not_delivered"


@dataclass(frozen=True)
class Route:
    """Where a ticket's replies go: the user's latest message on it says."""

    channel: Literal["email", "messenger"]
    refs: dict[str, Any]


@dataclass(frozen=True)
class Sent:
    state: str
    detail: str
    message_id: str | None = None


async def route_of(conn: AsyncConnection, ticket_id: str) -> Route | None:
    """None for a ticket that came by no channel (nowhere to send)."""
    latest = await intake_store.latest_inbound(conn, ticket_id)
    if latest is None:
        return None
    refs = json.loads(latest["refs"])
    if refs.get("conversation"):
        return Route("messenger", refs)
    if refs.get("reply_to"):
        return Route("email", refs)
    return None


async def reply_through_channel(
    ctx: ServiceContext,
    who: Principal,
    ticket_id: str,
    *,
    body: str,
    idempotency_key: str | None,
    request_id: str,
    resolve: tuple[str, str] | None = None,
) -> bool:
    """Send the reply the way the ticket came (and then resolve, if asked).

    False when the ticket came by no channel: nothing was written, the caller records
    the reply as before. Raises ``ReplyNotDelivered`` when the send failed.
    """
    text = checked_reply(body)
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        row = await tickets.by_id(conn, ticket_id)
        if row is None:
            raise NotFound(f"no ticket {ticket_id!r}")
        route = await route_of(conn, ticket_id)
        if route is None:
            return False
        if resolve is not None and row["status"] != "open":
            raise Conflict(f"ticket {ticket_id} was already resolved by {row['resolved_by']}")
        stored = await record_reply(
            conn,
            actor=who.actor,
            ticket_id=ticket_id,
            user_id=row["user_id"],
            body=text,
            at=now,
            idempotency_key=idempotency_key,
            delivery_state=QUEUED,
            request_id=request_id,
        )
        reply = await tickets.reply_by_id(conn, stored.id)
        assert reply is not None
    if reply["delivery_state"] == SENT:
        outcome = Sent(SENT, reply["delivery_detail"] or "sent")  # a retry: sent already
    elif (reply["delivery_detail"] or "").startswith(MAY_HAVE_LANDED):
        raise Conflict(
            f"{reply['delivery_detail']}; look at the conversation before sending it again "
            "(write a new reply if it is not there)"
        )
    else:
        outcome = await _send(ctx, route, row, reply["body"], reply["idempotency_key"])
    await _settle(ctx, who, row, stored.id, reply["body"], outcome, resolve, request_id)
    if outcome.state != SENT:
        kept = "the ticket stays open" if resolve is not None else "the ticket is unchanged"
        raise ReplyNotDelivered(
            f"The reply was not sent: {outcome.detail}. It is kept on the ticket as failed "
            f"and {kept}; send it again once the cause is fixed."
        )
    return True


async def _settle(
    ctx: ServiceContext,
    who: Principal,
    row: Any,
    reply_id: int,
    body: str,
    outcome: Sent,
    resolve: tuple[str, str] | None,
    request_id: str,
) -> None:
    """The outcome on the reply, the audit entry, and the resolution if it went out."""
    ticket_id, user_id = row["id"], row["user_id"]
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        current = await tickets.reply_by_id(conn, reply_id)
        assert current is not None
        first_send = current["delivery_state"] != SENT
        if first_send:
            await tickets.set_reply_delivery(
                conn, reply_id, state=outcome.state, detail=outcome.detail
            )
        if outcome.state == SENT and first_send:
            await intake_store.add_message(
                conn,
                ticket_id,
                direction="out",
                body=body,
                original=body,
                at=now,
                message_id=outcome.message_id,
                refs={"reply_id": reply_id, "by": who.username},
            )
            entry = channel_audit.reply_sent(
                who.actor,
                ticket_id=ticket_id,
                user_id=user_id,
                reply_id=reply_id,
                channel=row["channel"],
                detail=outcome.detail,
            )
            await record(conn, entry, at=now, request_id=request_id)
        elif outcome.state != SENT:
            entry = channel_audit.reply_failed(
                who.actor,
                ticket_id=ticket_id,
                user_id=user_id,
                reply_id=reply_id,
                reason=outcome.detail,
                channel=row["channel"],
            )
            await record(conn, entry, at=now, request_id=request_id)
        if resolve is not None and outcome.state == SENT:
            now_row = await tickets.by_id(conn, ticket_id)
            if now_row is not None and now_row["status"] == "open":
                outcome_code, note = resolve
                await tickets.resolve(
                    conn, ticket_id, outcome=outcome_code, note=note, by=who.username, at=now
                )
                resolved = audit.ticket_resolved(
                    who.actor, ticket_id=ticket_id, user_id=user_id, outcome=outcome_code, note=note
                )
                await record(conn, resolved, at=now, request_id=request_id)


async def _send(ctx: ServiceContext, route: Route, row: Any, text: str, key: str) -> Sent:
    if route.channel == "email":
        return await _send_mail(ctx, route.refs, row, text, key)
    return await _send_messenger(ctx, route.refs, row, text, key)


async def _send_mail(
    ctx: ServiceContext, refs: dict[str, Any], row: Any, text: str, key: str
) -> Sent:
    reply = MailReply(
        ticket_id=row["id"],
        to_address=refs["reply_to"],
        to_name=refs.get("from_name"),
        subject=refs.get("subject") or row["subject"],
        in_reply_to=refs.get("message_id"),
        references=tuple(refs.get("references") or ()),
        text=text,
        idempotency_key=key,
    )
    if not ctx.mail.smtp_enabled:
        if ctx.settings.demo_mode:
            return await _demo_delivery(ctx, row, reply_subject(reply.subject, row["id"]), text)
        return Sent(FAILED, "no SMTP server is configured (SUPPORTDESK_MAIL_SMTP_HOST)")
    try:
        sent = await SmtpSender(ctx.mail).send_reply(reply, now=ctx.clock.now())
    except MailSendError as exc:
        again = (
            " (a passing fault: sending again may work)"
            if isinstance(exc, MailSendTemporary)
            else ""
        )
        return Sent(FAILED, f"{exc}{again}")
    return Sent(SENT, f"e-mailed to {sent.to_address}", message_id=sent.message_id)


async def _send_messenger(
    ctx: ServiceContext, refs: dict[str, Any], row: Any, text: str, key: str
) -> Sent:
    conversation = ConversationRef.model_validate(refs["conversation"])
    settings = ctx.messenger.model_copy(update={"format": conversation.source})
    try:
        client = settings.reply_client()
    except ValueError:
        if ctx.settings.demo_mode:
            return await _demo_delivery(ctx, row, f"Re: {row['subject']} [{row['id']}]", text)
        return Sent(
            FAILED,
            "the messenger's reply API is not configured "
            "(SUPPORTDESK_MESSENGER_API_URL and SUPPORTDESK_MESSENGER_API_TOKEN)",
        )
    outbound = OutboundReply(
        ticket_id=row["id"], conversation=conversation, text=text, idempotency_key=key
    )
    try:
        receipt = await client.send_reply(outbound)
    except ReplyError as exc:
        if isinstance(exc, ReplyTemporary) and exc.may_have_landed:
            return Sent(FAILED, f"{MAY_HAVE_LANDED}: {exc.reason}")
        return Sent(FAILED, exc.reason)
    where = f"conversation {conversation.conversation_id}"
    return Sent(
        SENT, f"posted to {where}" + (f" as {receipt.remote_id}" if receipt.remote_id else "")
    )


async def _demo_delivery(ctx: ServiceContext, row: Any, subject: str, text: str) -> Sent:
    """The demo desk has no mail server: the reply lands in the demo user's own mailbox."""
    if row["user_id"] is None:
        return Sent(FAILED, "demo: the sender is no demo user, so there is no mailbox to reach")
    users = await _user_email(ctx, row["user_id"])
    if users is None:
        return Sent(FAILED, f"demo: user {row['user_id']} has no mailbox")
    async with ctx.engine.begin() as conn:
        await inbox.deliver(
            conn,
            user_id=row["user_id"],
            channel="email",
            recipient=users,
            body=text,
            now=ctx.clock.now(),
            subject=subject,
        )
    return Sent(SENT, f"demo: delivered to {users} (supportdesk demo phone {row['user_id']})")


async def _user_email(ctx: ServiceContext, user_id: str) -> str | None:
    async with ctx.engine.connect() as conn:
        found = await ctx.provider.users(conn, [user_id])
    user = found.get(user_id)
    return user.email if user is not None else None
