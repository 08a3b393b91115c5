"""The reference service in-process, over httpx's ASGI transport (tests, `supportdesk
audit`), and the same app for `supportdesk serve`.

The desk itself runs the embedded demo service in a process of its own
(`supportdesk.embedded_process`, `supportdesk.embedded_child`); the desk just receives a
client either way.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.demo.store import DB_NAME, demo_settings, open_demo_context
from supportdesk.service.http.app import build_app
from supportdesk.service.ops.mailbox import MailboxRunner, start_mailbox
from supportdesk.service.settings import ServiceSettings

__all__ = [
    "DB_NAME",
    "client_for",
    "connect_embedded",
    "demo_settings",
    "open_demo_context",
    "served_app",
    "served_app_from_environment",
]


def client_for(ctx: ServiceContext, timeout_s: float = 10.0) -> SupportDeskClient:
    """A client whose requests go straight into the in-process app."""
    transport = httpx.ASGITransport(app=build_app(ctx), raise_app_exceptions=False)
    return SupportDeskClient(
        "http://embedded.supportdesk",
        transport=transport,
        timeout=httpx.Timeout(timeout_s),
        label="demo · SQLite",
    )


_MAILBOXES: list[MailboxRunner] = []
"""Pollers of embedded desks (kept referenced while the desk runs)."""


async def connect_embedded(data_dir: Path, timeout_s: float = 10.0) -> SupportDeskClient:
    """The embedded demo service; it reads a support mailbox too when one is configured
    (SUPPORTDESK_MAIL_IMAP_HOST and the rest, see docs/channels.md)."""
    ctx = await open_demo_context(data_dir)
    mailbox = await start_mailbox(ctx)
    if mailbox is not None:
        _MAILBOXES.append(mailbox)
    return client_for(ctx, timeout_s)


def served_app(settings: ServiceSettings) -> FastAPI:
    """The app `supportdesk serve` runs under uvicorn (it opens its own context)."""
    return build_app(settings=settings)


def served_app_from_environment() -> FastAPI:
    """The app for each of `supportdesk serve --workers N`'s processes (uvicorn imports it
    by name): the settings come from SUPPORTDESK_SERVICE_*, as the parent set them."""
    return build_app(settings=ServiceSettings())
