"""``supportdesk demo reset|phone|message``: the demo world, on this machine.

The demo lives in one store whichever way it runs: the embedded desk and ``supportdesk
serve --demo`` both keep it in the user data folder (``supportdesk-demo.sqlite3``), and
``demo phone`` reads it there, or the store ``--db`` names (the one a served demo was
given). Reading a phone only reads: it answers at once while a desk is working.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from supportdesk.config import DeskSettings
    from supportdesk.service.demo.phone import DemoInbox
    from supportdesk.service.ops.intake import DemoDrop

EXIT_FAILED = 2
DEMO_SENDER = "marisol.baca@redmesafreight.example"
"""Who writes when `demo message` is not told: a demo user the desk knows."""
SERVE_DB_NAME = "supportdesk.sqlite3"
"""Where `supportdesk serve` keeps real (non-demo) data by default, in the data folder."""


def credentials(db: str | None = None) -> str:
    """What a demo prints before the desk (or the served API) is ready to sign into."""
    phone = "supportdesk demo phone demo-agent" + (f" --db {db}" if db else "")
    return (
        "Demo accounts: demo-agent, demo-agent2 (agents) and demo-lead (lead), password 'demo'.\n"
        f"Each signs in with the code their demo phone shows: {phone}"
    )


def default_store(settings: DeskSettings, *, demo: bool) -> str:
    """`serve`'s store when none is named: a SQLite file in the user data folder (the
    demo world's own with --demo, so `demo phone` finds it), never the current folder."""
    from supportdesk.service.demo.store import demo_db_url
    from supportdesk.service.store.engine import sqlite_url

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return demo_db_url(settings.data_dir) if demo else sqlite_url(settings.data_dir / SERVE_DB_NAME)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    demo = subparsers.add_parser("demo", help="the demo world (embedded, or a served one)")
    commands = demo.add_subparsers(title="demo commands", metavar="DEMO_COMMAND", required=True)
    reset = commands.add_parser("reset", help="rebuild the demo world from scratch")
    reset.set_defaults(func=run_reset)
    phone = commands.add_parser(
        "phone", help="what a demo account's phone shows now: authenticator, texts, e-mails"
    )
    phone.add_argument("name", help="agent username, user id, e-mail or name")
    phone.add_argument(
        "--db",
        metavar="URL",
        help="the demo store to read (as given to `serve --demo --db`); default: the demo "
        "store in the user data folder",
    )
    phone.set_defaults(func=run_phone)
    message = commands.add_parser(
        "message",
        help="a user writes to the desk: the message arrives in the demo queue as a ticket",
    )
    message.add_argument("text", help="what the user writes")
    message.add_argument(
        "--from",
        dest="sender",
        metavar="EMAIL",
        default=DEMO_SENDER,
        help=f"the user's e-mail (a demo user's, or anyone's: an unknown user); "
        f"default {DEMO_SENDER}",
    )
    message.add_argument(
        "--conversation",
        metavar="ID",
        help="write again in this conversation (printed by the first message)",
    )
    message.add_argument(
        "--db",
        metavar="URL",
        help="the demo store (as given to `serve --demo --db`); default: the demo store in "
        "the user data folder",
    )
    message.set_defaults(func=run_message)


def _settings(args: argparse.Namespace) -> DeskSettings:
    from supportdesk.config import load_settings

    return load_settings(
        api_url=getattr(args, "api", None), data_dir=getattr(args, "data_dir", None)
    )


def run_reset(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from supportdesk.service.demo.store import open_demo_context

    async def reset() -> None:
        ctx = await open_demo_context(settings.data_dir, reset=True)
        await ctx.engine.dispose()

    asyncio.run(reset())
    print(f"The demo world was rebuilt in {settings.data_dir}.")
    print(credentials())
    return 0


class _NoDemo(Exception):
    """The store holds no demo world (or cannot be read)."""


async def _demo_engine(settings: DeskSettings, db: str | None) -> AsyncEngine:
    """The store to read: the one named, else the demo store in the data folder (created
    and seeded on first use, as the embedded desk would)."""
    from supportdesk.service.demo.seed import is_seeded
    from supportdesk.service.demo.store import DB_NAME, open_demo_context
    from supportdesk.service.store.engine import make_engine, sqlite_url

    if db is None:
        path = settings.data_dir / DB_NAME
        if not path.exists():
            ctx = await open_demo_context(settings.data_dir)
            return ctx.engine
        db = sqlite_url(path)
    elif db.startswith("sqlite") and not Path(db.split(":///", 1)[-1]).exists():
        raise _NoDemo(f"there is no store at {db}")
    engine = make_engine(db)
    try:
        seeded = await is_seeded(engine)
    except Exception as exc:  # no tables, a server that is down: nothing to read
        await engine.dispose()
        raise _NoDemo(f"the store at {db} cannot be read as a demo store") from exc
    if not seeded:
        await engine.dispose()
        raise _NoDemo(f"the store at {db} holds no demo world: start one with serve --demo")
    return engine


def run_phone(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.api_url and not args.db:
        print(
            "demo phone works on the embedded demo only, or on a served demo's store named "
            "with --db",
            file=sys.stderr,
        )
        return EXIT_FAILED
    from supportdesk.service.clock import Clock
    from supportdesk.service.demo.phone import (
        NoAuthenticator,
        UnknownDemoAccount,
        read_demo_inbox,
        read_demo_phone,
    )

    async def read() -> int:
        try:
            engine = await _demo_engine(settings, args.db)
        except _NoDemo as exc:
            print(f"demo phone: {exc}", file=sys.stderr)
            return EXIT_FAILED
        now = Clock().now()
        screen, no_app = None, ""
        try:
            inbox = await read_demo_inbox(engine, args.name, now)
            try:
                screen = await read_demo_phone(engine, args.name, now)
            except NoAuthenticator as exc:
                no_app = str(exc)
        except UnknownDemoAccount as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_FAILED
        finally:
            await engine.dispose()
        if screen is not None:
            drift = ""
            if screen.clock_offset_s:
                way = "slow" if screen.clock_offset_s < 0 else "fast"
                drift = f"  (this phone's clock runs {abs(screen.clock_offset_s)} s {way})"
            print(
                f"{screen.label}: {screen.code[:3]} {screen.code[3:]}  "
                f"next {screen.next_code[:3]} {screen.next_code[3:]} in {screen.seconds_left} s"
                f"{drift}"
            )
        else:
            print(f"{no_app}.")
        if inbox is not None:
            for line in _inbox_lines(inbox, now):
                print(line)
        return 0

    return asyncio.run(read())


def _inbox_lines(inbox: DemoInbox, now: datetime) -> list[str]:
    """The demo user's latest texts and e-mails, newest first, as their phone shows them."""
    if not inbox.texts and not inbox.emails:
        return [f"No texts or e-mails from Alvys to {inbox.name} yet."]
    lines: list[str] = []
    for text in inbox.texts:
        where = f"text {_ago(text.sent_at, now)} to {text.recipient_masked}"
        if text.status == "undelivered":
            where += f" [never arrived: {text.reason or 'the carrier gave up'}]"
        elif not text.arrived:
            where += " [not on the phone yet: the carrier still has it]"
        lines.append(f"{where}: {text.body}")
    for mail in inbox.emails:
        subject = f"{mail.subject} — " if mail.subject else ""
        lines.append(
            f"e-mail {_ago(mail.sent_at, now)} to {mail.recipient_masked}: {subject}{mail.body}"
        )
    return lines


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''} ago"


def run_message(args: argparse.Namespace) -> int:
    """Drop a messenger message into the demo desk's intake, as the messenger would."""
    settings = _settings(args)
    if settings.api_url and not args.db:
        print(
            "demo message works on the embedded demo only, or on a served demo's store named "
            "with --db",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not args.text.strip():
        print("demo message: say something (the text is empty)", file=sys.stderr)
        return EXIT_FAILED

    async def drop() -> int:
        from supportdesk.service.ops.intake import DemoMessageError, demo_message

        try:
            engine = await _demo_engine(settings, args.db)
        except _NoDemo as exc:
            print(f"demo message: {exc}", file=sys.stderr)
            return EXIT_FAILED
        try:
            drop = await demo_message(
                engine, args.text, sender=args.sender, conversation=args.conversation
            )
        except DemoMessageError as exc:
            print(f"demo message: {exc}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            await engine.dispose()
        for line in _drop_lines(drop, args.db):
            print(line)
        return 0

    return asyncio.run(drop())


def _drop_lines(drop: DemoDrop, db: str | None) -> list[str]:
    """What became of the message, and how to write again in the same conversation."""
    ticket = drop.taken.ticket_id
    if drop.taken.outcome == "appended":
        lines = [f"Added to {ticket}: {drop.who} wrote again in {drop.conversation}."]
    else:
        branch = drop.branch or "unsure"
        sure = f" ({drop.confidence:.0%})" if drop.confidence is not None else ""
        lines = [
            f"{ticket} arrived from {drop.who} by messenger; triage: {branch}{sure}.",
            "It is in the desk's queue (the queue looks again every 10 s; r refreshes).",
        ]
    again = f"supportdesk demo message 'Any news?' --conversation {drop.conversation}"
    lines.append(f"Write again in this conversation: {again}" + (f" --db {db}" if db else ""))
    return lines
