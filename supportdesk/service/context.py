"""Everything an operation needs, built once per service process."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from supportdesk.service.audit import ensure_audit_head
from supportdesk.service.channels.mail.settings import MailSettings
from supportdesk.service.channels.messenger.settings import MessengerSettings
from supportdesk.service.clock import Clock
from supportdesk.service.provider import IdentityProvider, ProviderEnv
from supportdesk.service.security import Passwords
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.sms import SimulatedCarrier, SmsGateway, gateway_from_settings
from supportdesk.service.store.engine import create_schema, make_engine
from supportdesk.service.store.schema import meta

ProviderFactory = Callable[[ProviderEnv], IdentityProvider]
"""Builds the identity provider for a context (the built-in one unless told otherwise)."""


@runtime_checkable
class _Closing(Protocol):
    """A provider that holds connections of its own (privacyIDEA's HTTP client)."""

    async def aclose(self) -> None: ...


@dataclass
class ServiceContext:
    settings: ServiceSettings
    engine: AsyncEngine
    clock: Clock
    passwords: Passwords
    server_key: str = field(repr=False)
    sms_gateway: SmsGateway = field(default_factory=SimulatedCarrier)
    mail: MailSettings = field(default_factory=MailSettings)
    """The support mailbox (SUPPORTDESK_MAIL_*); off until an IMAP host is set."""
    messenger: MessengerSettings = field(default_factory=MessengerSettings)
    """The messenger's webhook secret and reply API (SUPPORTDESK_MESSENGER_*)."""
    provider: IdentityProvider = field(init=False)
    """Where users and factors live; set by `open_context` (`use_provider` to swap it)."""

    def use_provider(self, factory: ProviderFactory) -> None:
        self.provider = factory(self)

    async def aclose(self) -> None:
        """Let go of what the context holds: the provider's connections, then the store's."""
        try:
            if isinstance(self.provider, _Closing):
                await self.provider.aclose()
        finally:
            await self.engine.dispose()


async def _server_key(engine: AsyncEngine) -> str:
    """The key that peppers stored one-time codes; made once, kept in the store."""
    async with engine.begin() as conn:
        found = (
            await conn.execute(select(meta.c.value).where(meta.c.key == "server_key"))
        ).scalar_one_or_none()
        if found is not None:
            return str(found)
        key = secrets.token_hex(32)
        await conn.execute(meta.insert().values(key="server_key", value=key))
        await ensure_audit_head(conn)
        return key


def builtin_provider(env: ProviderEnv) -> IdentityProvider:
    from supportdesk.service.provider.builtin import BuiltinProvider

    return BuiltinProvider(env)


def configured_provider(settings: ServiceSettings) -> ProviderFactory:
    """The provider the settings name (`provider`); privacyIDEA reads SUPPORTDESK_PI_*."""
    if settings.provider == "privacyidea":
        from supportdesk.service.provider.privacyidea.provider import privacyidea_provider

        return privacyidea_provider
    return builtin_provider


async def open_context(
    settings: ServiceSettings,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    provider: ProviderFactory | None = None,
    mail: MailSettings | None = None,
    messenger: MessengerSettings | None = None,
) -> ServiceContext:
    """Open the store, create or check its schema, and return a ready context (with the
    provider given, else the one the settings name)."""
    engine = engine or make_engine(settings.db_url)
    await create_schema(engine)
    key = await _server_key(engine)
    async with engine.begin() as conn:
        await ensure_audit_head(conn)
    ctx = ServiceContext(
        settings=settings,
        engine=engine,
        clock=clock or Clock(),
        passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
        server_key=key,
        sms_gateway=gateway_from_settings(settings),
        mail=mail or MailSettings(),
        messenger=messenger or MessengerSettings(),
    )
    ctx.use_provider(provider or configured_provider(settings))
    return ctx
