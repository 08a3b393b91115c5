"""Writing the demo world into a store, and reading a demo phone's screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.db.schema import (
    agents,
    demo_phones,
    factors,
    signin_events,
    tickets,
    users,
)
from supportdesk.service.demo.model import DemoWorld
from supportdesk.service.security import TOTP_STEP_S, Passwords

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


class UnknownDemoAccount(LookupError):
    """No demo account answers to that name."""


async def read_demo_phone(engine: AsyncEngine, name: str, now: datetime) -> PhoneScreen:
    """The code on a demo account's phone, with that phone's clock drift applied.

    NAME is an agent username, a user id, an e-mail address or a user's name.
    """
    wanted = name.strip().lower()
    async with engine.connect() as conn:
        agent = (
            await conn.execute(
                select(agents.c.username, agents.c.totp_secret).where(
                    func.lower(agents.c.username) == wanted
                )
            )
        ).first()
        if agent is not None:
            account, label, secret = agent.username, agent.username, agent.totp_secret
        else:
            user = (
                await conn.execute(
                    select(users.c.id, users.c.name, users.c.email).where(
                        (func.lower(users.c.id) == wanted)
                        | (func.lower(users.c.email) == wanted)
                        | (func.lower(users.c.name) == wanted)
                    )
                )
            ).first()
            if user is None:
                raise UnknownDemoAccount(f"no demo account is called {name!r}")
            factor = (
                await conn.execute(
                    select(factors.c.totp_secret, factors.c.label)
                    .where(factors.c.user_id == user.id)
                    .where(factors.c.type == "totp")
                    .where(factors.c.removed_at.is_(None))
                    .order_by(factors.c.created_at)
                )
            ).first()
            if factor is None or factor.totp_secret is None:
                raise UnknownDemoAccount(f"{user.name} has no authenticator app set up")
            account, label, secret = user.id, f"{user.name} ({factor.label})", factor.totp_secret
        offset = (
            await conn.execute(
                select(demo_phones.c.clock_offset_s).where(demo_phones.c.account == account)
            )
        ).scalar_one_or_none() or 0
    phone_now = now + timedelta(seconds=offset)
    totp = pyotp.TOTP(secret)
    seconds_left = TOTP_STEP_S - int(phone_now.timestamp()) % TOTP_STEP_S
    return PhoneScreen(
        account=account,
        label=label,
        code=totp.at(phone_now),
        next_code=totp.at(phone_now + timedelta(seconds=TOTP_STEP_S)),
        seconds_left=seconds_left,
        clock_offset_s=offset,
    )
