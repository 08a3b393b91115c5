"""Helpers for the service tests (no tests here): read what the user received, answer
challenges as the user would, write and read the audit log and the store directly."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.models import EndUserSignInResult
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.schema import approvals, audit_log, factors, message_outbox, users
from tests.support import sign_in_as

TYLER = "u1002"  # T-1042, "I'm not getting the text code"
TYLER_EMAIL = "tyler.brooks@redmesafreight.example"
TYLER_PHONE = "+15055550162"

USER_PASSWORD = "demo"
"""Every demo user shares the published demo password."""


async def latest_message_code(engine: AsyncEngine, user_id: str) -> str:
    """The 6-digit code in the newest message the user received (mailbox or phone)."""
    async with engine.connect() as conn:
        body = (
            (
                await conn.execute(
                    select(message_outbox.c.body)
                    .where(message_outbox.c.user_id == user_id)
                    .order_by(message_outbox.c.id.desc())
                )
            )
            .scalars()
            .first()
        )
    assert body is not None, f"{user_id} received nothing"
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    return found.group(1)


async def factor_code(ctx: ServiceContext, factor_id: str, shift_s: int = 0) -> str:
    """What the user's authenticator app shows now (tests read the seed directly)."""
    async with ctx.engine.connect() as conn:
        secret = (
            await conn.execute(select(factors.c.totp_secret).where(factors.c.id == factor_id))
        ).scalar_one()
    return str(pyotp.TOTP(secret).at(ctx.clock.now() + timedelta(seconds=shift_s)))


async def email_verification(
    client: SupportDeskClient, ctx: ServiceContext, user_id: str, ticket_id: str
) -> str:
    """Send a code to the e-mail on file and read it back as the user: a verification id."""
    sent = await client.send_challenge(user_id, ticket_id=ticket_id, channel="email")
    code = await latest_message_code(ctx.engine, user_id)
    return (await client.answer_challenge(sent.id, code)).id


async def audit_rows(
    ctx: ServiceContext, *, action: str | None = None, user: str | None = None
) -> list[dict[str, Any]]:
    """The entries the test itself wrote: those after the demo world's seed entry (the
    world's past month comes before it)."""
    seeded = select(audit_log.c.seq).where(audit_log.c.action == "demo.seed").scalar_subquery()
    stmt = select(audit_log).where(audit_log.c.seq > seeded).order_by(audit_log.c.seq)
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if user:
        stmt = stmt.where(audit_log.c.target_user == user)
    async with ctx.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(stmt)]


async def newest_approval_id(ctx: ServiceContext) -> int:
    """The request filed last (the demo world's past already holds a few decided ones)."""
    async with ctx.engine.connect() as conn:
        return int((await conn.execute(select(func.max(approvals.c.id)))).scalar_one())


async def user_email(ctx: ServiceContext, user_id: str) -> str:
    async with ctx.engine.connect() as conn:
        return str(
            (await conn.execute(select(users.c.email).where(users.c.id == user_id))).scalar_one()
        )


async def enduser_sign_in(
    client: SupportDeskClient, ctx: ServiceContext, user_id: str
) -> EndUserSignInResult:
    """The user types e-mail and password in the customer's app."""
    return await client.enduser_sign_in(await user_email(ctx, user_id), USER_PASSWORD)


async def second_client(ctx: ServiceContext, username: str) -> SupportDeskClient:
    """Another desk on the same service, signed in as `username`."""
    from supportdesk.embedded import client_for

    other = client_for(ctx)
    await sign_in_as(other, ctx, username)
    return other


async def add_entry(
    ctx: ServiceContext,
    *,
    ago: timedelta = timedelta(0),
    actor: str = "demo-agent",
    action: str = "mfa.reset",
    user: str | None = "u1001",
    outcome: str = "success",
    ticket: str | None = None,
) -> int:
    """One audit entry written the way a router writes it, `ago` before the frozen now."""
    async with ctx.engine.begin() as conn:
        return await append_audit(
            conn,
            at=ctx.clock.now() - ago,
            actor=Actor(actor, "agent"),
            action=action,
            outcome=outcome,
            target_user=user,
            ticket_id=ticket,
            reason="user lost their phone",
            verification=["video call", "manager confirmed"],
            detail={"factor": "totp"},
        )


async def totp_user(ctx: ServiceContext) -> tuple[str, str]:
    async with ctx.engine.connect() as conn:
        email, secret = (
            await conn.execute(
                select(users.c.email, factors.c.totp_secret)
                .join(factors, factors.c.user_id == users.c.id)
                .where(factors.c.type == "totp")
                .where(users.c.id == "u1005")
            )
        ).one()
    return str(email), str(secret)


async def sms_audit_rows(
    ctx: ServiceContext, user_id: str, prefix: str = "sms."
) -> list[RowMapping]:
    """The user's entries whose action starts with `prefix`, oldest first."""
    async with ctx.engine.connect() as conn:
        result = await conn.execute(
            select(audit_log)
            .where(audit_log.c.target_user == user_id)
            .where(audit_log.c.action.startswith(prefix))
            .order_by(audit_log.c.seq)
        )
        return [r._mapping for r in result]
