"""The desk's service in front of the live privacyIDEA: a fresh store of ours (agents,
tickets, approvals, audit chain) with the privacyIDEA provider behind it.

`open_desk(path, settings)` gives a `PiDesk`: the service context, an agent's and a
lead's API clients (over the in-process app, as the embedded desk talks to it), and
helpers to find a user through the desk, open a ticket for them and check our chain.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import select

from supportdesk.api.client import SupportDeskClient
from supportdesk.embedded import client_for
from supportdesk.rules.audit_chain import verify_chain
from supportdesk.service.audit.chain import row_to_chain_fields
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.provider import ProviderEnv
from supportdesk.service.provider.privacyidea import PrivacyIdeaSettings
from supportdesk.service.provider.privacyidea.provider import PrivacyIdeaProvider
from supportdesk.service.store.engine import sqlite_url
from supportdesk.service.store.schema import agents, audit_log, tickets
from tests.support import fast_settings, sign_in_as

AGENT = "pi-agent"
LEAD = "pi-lead"
KIOSK = "pi-kiosk"
"""The agent at the pilot's desk: never signed in through the API, so its first code is
never one the API client already spent."""
KIOSK_LEAD = "pi-kiosk-lead"
"""The lead at the pilot's desk, for the same reason."""


@dataclass
class PiDesk:
    ctx: ServiceContext
    agent: SupportDeskClient
    lead: SupportDeskClient
    tickets: int = 0
    opened: list[SupportDeskClient] = field(default_factory=list)

    @property
    def provider(self) -> PrivacyIdeaProvider:
        assert isinstance(self.ctx.provider, PrivacyIdeaProvider)
        return self.ctx.provider

    async def user_id(self, username: str) -> str:
        """Our id for a privacyIDEA user, found as an agent would: by searching."""
        hits = await self.agent.search_users(username)
        found = [h for h in hits if h.email.startswith(f"{username}@")]
        assert len(found) == 1, f"{username}: {[h.email for h in hits]}"
        return found[0].id

    async def ticket(self, user_id: str, subject: str = "Cannot sign in") -> str:
        """A ticket about the user, as if it had come in by e-mail."""
        self.tickets += 1
        ticket_id = f"T-PI{self.tickets:03d}{secrets.token_hex(2)}"
        async with self.ctx.engine.begin() as conn:
            await conn.execute(
                tickets.insert().values(
                    id=ticket_id,
                    user_id=user_id,
                    channel="email",
                    subject=subject,
                    text=subject,
                    created_at=self.ctx.clock.now() - timedelta(minutes=5),
                    status="open",
                )
            )
        return ticket_id

    async def entries(self, action: str, user_id: str) -> list[dict[str, Any]]:
        stmt = (
            select(audit_log)
            .where(audit_log.c.action == action, audit_log.c.target_user == user_id)
            .order_by(audit_log.c.seq)
        )
        async with self.ctx.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(stmt)]

    async def chain_intact(self) -> bool:
        async with self.ctx.engine.connect() as conn:
            rows = await conn.execute(select(audit_log).order_by(audit_log.c.seq))
            report = verify_chain(row_to_chain_fields(r._mapping) for r in rows)
        return report.intact and report.checked > 0

    async def close(self) -> None:
        for client in (self.agent, self.lead, *self.opened):
            await client.aclose()
        await self.ctx.aclose()


def desk_pi_settings(
    pi_settings: PrivacyIdeaSettings, sensitive: str, service: str
) -> PrivacyIdeaSettings:
    return pi_settings.model_copy(
        update={"sensitive_users": [sensitive], "service_accounts": [service]}
    )


async def open_desk(store: Path, settings: PrivacyIdeaSettings) -> PiDesk:
    def factory(env: ProviderEnv) -> PrivacyIdeaProvider:
        return PrivacyIdeaProvider(env, settings)

    service = fast_settings(sqlite_url(store)).model_copy(
        update={"demo_mode": False, "provider": "privacyidea"}
    )
    ctx = await open_context(service, provider=factory)
    password_hash = await ctx.passwords.make("demo")
    async with ctx.engine.begin() as conn:
        accounts = ((AGENT, "agent"), (LEAD, "lead"), (KIOSK, "agent"), (KIOSK_LEAD, "lead"))
        for username, role in accounts:
            await conn.execute(
                agents.insert().values(
                    username=username,
                    display_name=username.replace("-", " ").title(),
                    role=role,
                    password_hash=password_hash,
                    totp_secret=pyotp.random_base32(),
                    failed_attempts=0,
                    created_at=ctx.clock.now(),
                )
            )
    agent, lead = client_for(ctx, timeout_s=60), client_for(ctx, timeout_s=60)
    await sign_in_as(agent, ctx, AGENT)
    await sign_in_as(lead, ctx, LEAD)
    return PiDesk(ctx, agent, lead)
