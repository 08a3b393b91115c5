"""Issue 9: password hashing runs in a worker thread, so the embedded desk's event loop
(which the service shares) never stalls on argon2."""

from __future__ import annotations

import threading

import pytest

from supportdesk.api import errors
from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.security import Passwords
from tests.service.support import totp_user
from tests.support import agent_code


class WatchedPasswords(Passwords):
    """The service's hasher, noting which thread each hash runs on."""

    def __init__(self, base: Passwords) -> None:
        self.__dict__.update(base.__dict__)
        self.threads: list[int] = []

    def hash(self, password: str) -> str:
        self.threads.append(threading.get_ident())
        return super().hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        self.threads.append(threading.get_ident())
        return super().verify(stored_hash, password)


async def test_sign_ins_hash_off_the_event_loop(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    watched = WatchedPasswords(ctx.passwords)
    ctx.passwords = watched
    loop_thread = threading.get_ident()
    code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
    await client.sign_in("demo-agent", "demo", code)
    with pytest.raises(errors.Unauthorised):
        await client.sign_in("nobody", "demo", "123456")
    email, _secret = await totp_user(ctx)
    await client.enduser_sign_in(email, "demo")
    assert len(watched.threads) >= 4
    assert loop_thread not in watched.threads
