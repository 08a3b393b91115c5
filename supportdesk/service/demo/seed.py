"""Writing the demo world into a store: its people and tickets, then its month of history
(`demo.history`), then the `demo.seed` entry. Reading a demo phone: `demo.phone`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.demo.model import DemoWorld
from supportdesk.service.security import Passwords
from supportdesk.service.store.engine import reading
from supportdesk.service.store.schema import (
    agents,
    demo_phones,
    factors,
    signin_events,
    tickets,
    users,
)


async def is_seeded(engine: AsyncEngine) -> bool:
    async with reading(engine) as conn:
        return bool((await conn.execute(select(func.count()).select_from(agents))).scalar_one())


async def seed_world(
    engine: AsyncEngine, world: DemoWorld, passwords: Passwords, now: datetime
) -> None:
    """Insert every agent, user, factor, sign-in and ticket, times relative to now."""
    # One hash serves every demo account: they share the published demo password.
    password_hash = await passwords.make(world.password)
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
                    signin_events.insert().values(user_id=user.id, **asdict(signin.placed(now)))
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
        from supportdesk.service.demo.history import write_history  # seeding only

        await write_history(conn, world, now)
        seeded = audit.demo_seeded(
            agents=len(world.agents), users=len(world.users), tickets=len(world.tickets)
        )
        await record(conn, seeded, at=now)
