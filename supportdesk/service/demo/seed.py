"""Writing the demo world into a store, and reading a demo phone: its authenticator, and
the texts and e-mails the service sent the user (the demo inbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from supportdesk.rules.phone import mask_e164
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.db.schema import (
    agents,
    demo_phones,
    factors,
    message_outbox,
    signin_events,
    tickets,
    users,
)
from supportdesk.service.demo.history import write_history
from supportdesk.service.demo.model import DemoWorld
from supportdesk.service.recovery_actions import mask_email
from supportdesk.service.security import TOTP_STEP_S, Passwords
from supportdesk.service.sms.simulated import SimulatedCarrier

SEEDER = Actor(name="system", role="system")


async def is_seeded(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return bool((await conn.execute(select(func.count()).select_from(agents))).scalar_one())


async def seed_world(
    engine: AsyncEngine, world: DemoWorld, passwords: Passwords, now: datetime
) -> None:
    """Insert every agent, user, factor, sign-in and ticket, times relative to now."""
    # One hash serves every demo account: they share the published demo password.
    password_hash = passwords.hash(world.password)
    async with engine.begin() as conn:
        for agent in world.agents:
            await conn.execute(
                agents.insert().values(
                    username=agent.username,
                    display_name=agent.display_name,
                    role=agent.role,
                    password_hash=password_hash,
                    totp_secret=pyotp.random_base32(),
                    failed_attempts=0,
                    created_at=now - timedelta(days=300),
                )
            )
            await conn.execute(
                demo_phones.insert().values(
                    account=agent.username, clock_offset_s=agent.clock_offset_s
                )
            )
        for user in world.users:
            await conn.execute(
                users.insert().values(
                    id=user.id,
                    name=user.name,
                    email=user.email,
                    company=user.company,
                    region=user.region,
                    timezone=user.timezone,
                    kind=user.kind,
                    is_admin=user.is_admin,
                    is_staff=user.is_staff,
                    mfa_status=user.mfa_status,
                    password_hash=password_hash,
                    last_mfa_reset_at=(
                        now - timedelta(days=user.last_mfa_reset_days_ago)
                        if user.last_mfa_reset_days_ago is not None
                        else None
                    ),
                    created_at=now - timedelta(days=user.created_days_ago),
                )
            )
            await conn.execute(
                demo_phones.insert().values(account=user.id, clock_offset_s=user.clock_offset_s)
            )
            for n, factor in enumerate(user.factors, start=1):
                await conn.execute(
                    factors.insert().values(
                        id=f"{user.id}-f{n}",
                        user_id=user.id,
                        type=factor.type,
                        label=factor.label,
                        created_at=now - timedelta(days=factor.created_days_ago),
                        last_used_at=(
                            now - timedelta(days=factor.last_used_days_ago)
                            if factor.last_used_days_ago is not None
                            else None
                        ),
                        totp_secret=pyotp.random_base32() if factor.type == "totp" else None,
                        phone_e164=factor.phone,
                        key_model=factor.key_model,
                    )
                )
            for signin in user.signins:
                await conn.execute(
                    signin_events.insert().values(
                        user_id=user.id,
                        at=now - timedelta(hours=signin.hours_ago),
                        device_id=signin.device_id,
                        device_name=signin.device_name,
                        ip=signin.ip,
                        city=signin.city,
                        country=signin.country,
                        lat=signin.lat,
                        lon=signin.lon,
                        ip_reputation=signin.ip_reputation,
                        mfa_prompted=signin.mfa_prompted,
                        mfa_passed=signin.mfa_passed,
                    )
                )
        for ticket in world.tickets:
            await conn.execute(
                tickets.insert().values(
                    id=ticket.id,
                    user_id=ticket.user_id,
                    channel=ticket.channel,
                    subject=ticket.subject,
                    text=ticket.text,
                    created_at=now - timedelta(minutes=ticket.age_minutes),
                    status="open",
                )
            )
        await write_history(conn, world, now)
        await append_audit(
            conn,
            at=now,
            actor=SEEDER,
            action="demo.seed",
            outcome="success",
            detail={
                "agents": len(world.agents),
                "users": len(world.users),
                "tickets": len(world.tickets),
            },
        )


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
    async with engine.connect() as conn:
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
    async with engine.connect() as conn:
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
