"""``supportdesk agent add USERNAME``: a desk account outside the demo.

Agents and leads keep the desk's own accounts on every back end (privacyIDEA too), so a
desk that is not the demo needs them made: this makes one in the store `serve` uses (the
same default, or ``--db URL`` / SUPPORTDESK_SERVICE_DB_URL) and prints its password and
TOTP seed once; nothing shows them again. Exit status 0 when made, 2 when not (the
reason on stderr, nothing on stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supportdesk.service.ops.staff import NewAgent, Role

EXIT_FAILED = 2


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``agent add`` to the main CLI's subparsers."""
    agent = subparsers.add_parser(
        "agent",
        help="make desk accounts (agents and team leads) outside the demo",
        description="The desk's own accounts: each signs in with a password and an "
        "authenticator app, whichever back end holds the users.",
    )
    commands = agent.add_subparsers(title="agent commands", metavar="AGENT_COMMAND", required=True)
    add = commands.add_parser(
        "add",
        help="make an account; its password and TOTP seed are printed once",
        description="Make a desk account in the store serve uses and print its password "
        "and TOTP seed once.",
    )
    add.add_argument("username", help="what they type at the sign-in screen")
    add.add_argument("--name", help="the name the desk shows (default: the username)")
    add.add_argument("--role", choices=("agent", "lead"), default="agent")
    add.add_argument(
        "--db",
        metavar="URL",
        help="the store (default: SUPPORTDESK_SERVICE_DB_URL, else serve's own SQLite file)",
    )
    add.set_defaults(func=run_add)


def run_add(args: argparse.Namespace) -> int:
    from supportdesk.commands.demo import default_store
    from supportdesk.config import load_settings
    from supportdesk.service.errors import ServiceError

    url = args.db or os.environ.get("SUPPORTDESK_SERVICE_DB_URL")
    desk = load_settings(api_url=None, data_dir=getattr(args, "data_dir", None))
    url = url or default_store(desk, demo=False)
    try:
        made = asyncio.run(make_account(url, args.username, args.name, args.role))
    except ServiceError as refusal:
        print(f"agent add: {refusal.message}", file=sys.stderr)
        return EXIT_FAILED
    print(shown_once(made, url))
    return 0


async def make_account(url: str, username: str, name: str | None, role: Role) -> NewAgent:
    from supportdesk.service.context import builtin_provider, open_context
    from supportdesk.service.ops.staff import add_agent
    from supportdesk.service.settings import ServiceSettings

    # The account is the desk's own: no back end's users are needed to make it.
    ctx = await open_context(ServiceSettings(db_url=url), provider=builtin_provider)
    try:
        return await add_agent(ctx, username, name, role)
    finally:
        await ctx.aclose()


def shown_once(made: NewAgent, url: str) -> str:
    from sqlalchemy.engine import make_url

    store = make_url(url).render_as_string(hide_password=True)
    return "\n".join(
        [
            f"Made {made.role} {made.username} ({made.display_name}) in {store}.",
            "Give them these in person; they are shown only now:",
            f"  password   {made.password}",
            f"  TOTP seed  {made.totp_secret}  (an authenticator app: 6 digits, 30 s)",
            f"  or as a link for the app: {made.otpauth_uri()}",
        ]
    )
