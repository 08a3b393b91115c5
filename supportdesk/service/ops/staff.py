"""The desk's own accounts, made from the command line (`supportdesk agent add`).

Agents and leads sign in with the desk's password and their own authenticator whichever
back end holds the users (README, privacyIDEA): outside the demo nobody exists until an
account is made here. The password and the TOTP seed are made here and returned once;
the store keeps the password's hash and the seed, and the audit log says who was added.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Literal

import pyotp
from sqlalchemy.exc import IntegrityError

from supportdesk.service.audit import Actor, record
from supportdesk.service.audit import entries as audit
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, InvalidInput
from supportdesk.service.store import agents

Role = Literal["agent", "lead"]
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,63}")
COMMAND_LINE = Actor(name="command line", role="system")
"""Who the log names for an account made at the server's shell."""


@dataclass(frozen=True)
class NewAgent:
    username: str
    display_name: str
    role: Role
    password: str
    totp_secret: str

    def otpauth_uri(self) -> str:
        """What an authenticator app reads (as a QR code, or pasted) to add the seed."""
        return pyotp.TOTP(self.totp_secret).provisioning_uri(
            name=self.username, issuer_name="supportdesk"
        )


async def add_agent(
    ctx: ServiceContext, username: str, display_name: str | None, role: Role
) -> NewAgent:
    """Make the account with a fresh password and seed; refuse a name already taken."""
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise InvalidInput(
            "a username is 2 to 64 letters, digits or . _ @ -, starting with a letter or digit",
            field="username",
        )
    name = (display_name or username).strip()
    if not name or len(name) > 128:
        raise InvalidInput("a display name is 1 to 128 characters", field="name")
    made = NewAgent(username, name, role, secrets.token_urlsafe(12), pyotp.random_base32())
    password_hash = await ctx.passwords.make(made.password)
    now = ctx.clock.now()
    try:
        async with ctx.engine.begin() as conn:
            if await agents.by_username(conn, username) is not None:
                raise Conflict(f"there is already an account named {username}")
            await agents.create(
                conn,
                username=username,
                display_name=name,
                role=role,
                password_hash=password_hash,
                totp_secret=made.totp_secret,
                now=now,
            )
            await record(conn, audit.agent_created(COMMAND_LINE, username, role), at=now)
    except IntegrityError as exc:  # made by someone else in between
        raise Conflict(f"there is already an account named {username}") from exc
    return made
