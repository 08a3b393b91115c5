"""Reading a demo phone: what its authenticator shows now, and the texts and e-mails the
service sent the user (the demo inbox). Reads only: it never waits behind the desk's writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from supportdesk.rules.phone import mask_e164
from supportdesk.service.ops.common import mask_email
from supportdesk.service.security import TOTP_STEP_S
from supportdesk.service.sms.simulated import SimulatedCarrier
from supportdesk.service.store.engine import reading
from supportdesk.service.store.schema import agents, demo_phones, factors, message_outbox, users


@dataclass(frozen=True)
class PhoneScreen:
    """What a demo phone's authenticator shows right now."""

    account: str
    label: str
    code: str
    next_code: str
    seconds_left: int
    clock_offset_s: int


@dataclass(frozen=True)
class InboxMessage:
    """A text or e-mail the demo user received, as their phone or mailbox shows it.

    ``status`` is "delivered" once it is on the phone; a text the carrier still holds
    reads "queued" or "sent", one it gave up on "undelivered" with the carrier's reason.
    """

    channel: str
    recipient_masked: str
    subject: str
    body: str = field(repr=False)
    sent_at: datetime
    status: str = "delivered"
    reason: str | None = None

    @property
    def arrived(self) -> bool:
        return self.status == "delivered"


@dataclass(frozen=True)
class DemoInbox:
    """A demo user's latest texts and e-mails, newest first."""

    user_id: str
    name: str
    texts: tuple[InboxMessage, ...]
    emails: tuple[InboxMessage, ...]


class UnknownDemoAccount(LookupError):
    """No demo account answers to that name."""


class NoAuthenticator(LookupError):
    """The demo account has no authenticator app, so its phone shows no code."""


@dataclass(frozen=True)
class _Account:
    id: str
    name: str
    is_agent: bool
    totp_secret: str | None = field(default=None, repr=False)


async def _find_account(conn: AsyncConnection, name: str) -> _Account:
    """An agent by username, or a user by id, e-mail address or name (case ignored)."""
    wanted = name.strip().lower()
    agent = (
        await conn.execute(
            select(agents.c.username, agents.c.totp_secret).where(
                func.lower(agents.c.username) == wanted
            )
        )
    ).first()
    if agent is not None:
        return _Account(agent.username, agent.username, True, agent.totp_secret)
    user = (
        await conn.execute(
            select(users.c.id, users.c.name).where(
                (func.lower(users.c.id) == wanted)
                | (func.lower(users.c.email) == wanted)
                | (func.lower(users.c.name) == wanted)
            )
        )
    ).first()
    if user is None:
        raise UnknownDemoAccount(f"no demo account is called {name!r}")
    return _Account(user.id, user.name, False)


async def read_demo_phone(engine: AsyncEngine, name: str, now: datetime) -> PhoneScreen:
    """The code on a demo account's phone, with that phone's clock drift applied.

    NAME is an agent username, a user id, an e-mail address or a user's name.
    Raises `NoAuthenticator` for a user without an authenticator app.
    """
    async with reading(engine) as conn:
        account = await _find_account(conn, name)
        secret, label = account.totp_secret, account.name
        if not account.is_agent:
            factor = (
                await conn.execute(
                    select(factors.c.totp_secret, factors.c.label)
                    .where(factors.c.user_id == account.id)
                    .where(factors.c.type == "totp")
                    .where(factors.c.removed_at.is_(None))
                    .order_by(factors.c.created_at)
                )
            ).first()
            if factor is None or factor.totp_secret is None:
                raise NoAuthenticator(f"{account.name} has no authenticator app set up")
            secret, label = factor.totp_secret, f"{account.name} ({factor.label})"
        assert secret is not None
        offset = (
            await conn.execute(
                select(demo_phones.c.clock_offset_s).where(demo_phones.c.account == account.id)
            )
        ).scalar_one_or_none() or 0
    phone_now = now + timedelta(seconds=offset)
    totp = pyotp.TOTP(secret)
    seconds_left = TOTP_STEP_S - int(phone_now.timestamp()) % TOTP_STEP_S
    return PhoneScreen(
        account=account.id,
        label=label,
        code=totp.at(phone_now),
        next_code=totp.at(phone_now + timedelta(seconds=TOTP_STEP_S)),
        seconds_left=seconds_left,
        clock_offset_s=offset,
    )


INBOX_SHOWN = 3
"""Texts and e-mails the demo phone lists, each: the latest are the ones a walk-through needs."""


async def read_demo_inbox(
    engine: AsyncEngine,
    name: str,
    now: datetime,
    *,
    carrier: SimulatedCarrier | None = None,
    limit: int = INBOX_SHOWN,
) -> DemoInbox | None:
    """A demo user's latest texts and e-mails (None for an agent: Alvys sends them nothing).

    A text's state comes from the simulated carrier (the same timeline the delivery log
    follows), so a text the carrier still holds is marked as not on the phone yet.
    """
    carrier = carrier or SimulatedCarrier()
    async with reading(engine) as conn:
        account = await _find_account(conn, name)
        if account.is_agent:
            return None
        found: dict[str, list[InboxMessage]] = {}
        for channel in ("sms", "email"):
            rows = await conn.execute(
                select(message_outbox)
                .where(message_outbox.c.user_id == account.id)
                .where(message_outbox.c.channel == channel)
                .order_by(message_outbox.c.created_at.desc(), message_outbox.c.id.desc())
                .limit(limit)
            )
            found[channel] = [await _message(row._mapping, carrier, now) for row in rows]
    return DemoInbox(account.id, account.name, tuple(found["sms"]), tuple(found["email"]))


async def _message(row: RowMapping, carrier: SimulatedCarrier, now: datetime) -> InboxMessage:
    recipient = str(row["recipient"])
    sent_at: datetime = row["created_at"]
    if row["channel"] != "sms":
        return InboxMessage("email", mask_email(recipient), row["subject"], row["body"], sent_at)
    state = await carrier.poll("", recipient, sent_at, now)
    return InboxMessage(
        "sms",
        mask_e164(recipient),
        row["subject"],
        row["body"],
        sent_at,
        status=state.status if state else "sent",
        reason=state.reason if state else None,
    )
