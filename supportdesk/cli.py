"""The entry point: parses the command line and wires a back end to the desk.

This is the only module that knows both the service and the desk. It stays
light at import time so the sign-in screen paints before anything heavy loads.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from supportdesk import __version__
from supportdesk.commands import audit as audit_command
from supportdesk.commands import phone as phone_command
from supportdesk.config import ConfigError, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from supportdesk.api.backend import DeskBackend
    from supportdesk.config import DeskSettings
    from supportdesk.service.demo.seed import DemoInbox
    from supportdesk.service.settings import ServiceSettings
    from supportdesk.tui.app import SupportDeskApp

DEMO_CREDENTIALS = (
    "Demo accounts: demo-agent, demo-agent2 (agents) and demo-lead (lead), password 'demo'.\n"
    "Each signs in with the code their demo phone shows: supportdesk demo phone demo-agent"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supportdesk",
        description="Terminal kiosk for MFA support tickets. With no command, runs the desk.",
    )
    parser.add_argument("--version", action="version", version=f"supportdesk {__version__}")
    parser.add_argument("--api", metavar="URL", help="use a remote auth service at URL")
    parser.add_argument("--data-dir", type=Path, help="folder of the embedded demo store")
    parser.set_defaults(func=run_desk)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the auth service for many kiosks (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--db", metavar="URL", help="store URL (sqlite:///FILE or postgresql://…)")
    serve.add_argument(
        "--demo", action="store_true", help="seed the demo world if the store is empty"
    )
    serve.set_defaults(func=run_serve)

    demo = sub.add_parser("demo", help="the embedded demo world")
    demo_sub = demo.add_subparsers(title="demo commands", metavar="DEMO_COMMAND", required=True)
    reset = demo_sub.add_parser("reset", help="rebuild the demo world from scratch")
    reset.set_defaults(func=run_demo_reset)
    phone = demo_sub.add_parser(
        "phone", help="what a demo account's phone shows now: authenticator, texts, e-mails"
    )
    phone.add_argument("name", help="agent username, user id, e-mail or name")
    phone.set_defaults(func=run_demo_phone)

    phone_command.register(sub)
    audit_command.register(sub)
    return parser


def _settings(args: argparse.Namespace) -> DeskSettings:
    return load_settings(
        api_url=getattr(args, "api", None), data_dir=getattr(args, "data_dir", None)
    )


def build_desk(settings: DeskSettings | Callable[[], DeskSettings]) -> SupportDeskApp:
    """The desk wired to its back end: a remote URL, or the embedded demo service.

    Settings may be given as a loader: the desk then reads them in a thread after its
    first frame (pydantic loads there), and a bad config ends it with the message.
    """
    from supportdesk.tui.app import SupportDeskApp

    label = "" if callable(settings) else (settings.api_url or "embedded demo")
    return SupportDeskApp(connect_backend, settings, backend_label=label)


def run_desk(args: argparse.Namespace) -> int:
    overrides = {"api_url": getattr(args, "api", None), "data_dir": getattr(args, "data_dir", None)}
    if not _names_a_remote(overrides["api_url"]):
        print(DEMO_CREDENTIALS)
    app = build_desk(lambda: load_settings(**overrides))
    app.run()
    return app.return_code or 0


def _names_a_remote(flag: object) -> bool:
    """Whether the desk will talk to a remote service, read without loading the settings
    model (that happens after the first frame): the flag, the environment, the file."""
    import os
    import tomllib

    from supportdesk.config import ENV_PREFIX, config_file

    if flag or os.environ.get(f"{ENV_PREFIX}API_URL"):
        return True
    try:
        return bool(tomllib.loads(config_file().read_text(encoding="utf-8")).get("api_url"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


async def connect_backend(settings: DeskSettings) -> DeskBackend:
    """The remote service at api_url, or the embedded demo service started in-process."""
    if settings.api_url:
        await asyncio.to_thread(importlib.import_module, "supportdesk.api.client")
        import httpx

        from supportdesk.api.client import SupportDeskClient

        return SupportDeskClient(
            settings.api_url, timeout=httpx.Timeout(settings.request_timeout_s, connect=5.0)
        )
    # The service's imports are the heaviest we have: load them off the UI loop.
    embedded = await asyncio.to_thread(importlib.import_module, "supportdesk.embedded")
    backend: DeskBackend = await embedded.connect_embedded(
        settings.data_dir, settings.request_timeout_s
    )
    return backend


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from supportdesk.service.app import build_app
    from supportdesk.service.settings import ServiceSettings as Settings

    overrides: dict[str, object] = {"demo_mode": bool(args.demo)}
    if args.db:
        overrides["db_url"] = args.db
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if settings.sms_gateway == "simulated" and not settings.demo_mode:
        # The simulated carrier delivers nowhere and keeps texts for the demo phone.
        print(
            "supportdesk serve: texts would go to the simulated carrier. Outside --demo, set "
            "SUPPORTDESK_SERVICE_SMS_GATEWAY=http and SUPPORTDESK_SERVICE_SMS_HTTP_URL "
            "(see supportdesk/service/sms/http.py).",
            file=sys.stderr,
        )
        return 2
    if args.demo:
        asyncio.run(_seed_if_empty(settings))
    uvicorn.run(build_app(settings=settings), host=args.host, port=args.port, log_level="info")
    return 0


async def _seed_if_empty(settings: ServiceSettings) -> None:
    from supportdesk.service.context import open_context
    from supportdesk.service.demo.seed import is_seeded, seed_world
    from supportdesk.service.demo.world import demo_world

    ctx = await open_context(settings)
    try:
        if not await is_seeded(ctx.engine):
            await seed_world(ctx.engine, demo_world(), ctx.passwords, ctx.clock.now())
    finally:
        await ctx.engine.dispose()


def run_demo_reset(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from supportdesk.embedded import open_demo_context

    async def reset() -> None:
        ctx = await open_demo_context(settings.data_dir, reset=True)
        await ctx.engine.dispose()

    asyncio.run(reset())
    print(f"The demo world was rebuilt in {settings.data_dir}.")
    print(DEMO_CREDENTIALS)
    return 0


def run_demo_phone(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.api_url:
        print("demo phone works on the embedded demo only", file=sys.stderr)
        return 2
    from supportdesk.embedded import open_demo_context
    from supportdesk.service.demo.seed import (
        NoAuthenticator,
        UnknownDemoAccount,
        read_demo_inbox,
        read_demo_phone,
    )
    from supportdesk.service.sms import SimulatedCarrier

    async def read() -> int:
        ctx = await open_demo_context(settings.data_dir)
        now = ctx.clock.now()
        carrier = ctx.sms_gateway if isinstance(ctx.sms_gateway, SimulatedCarrier) else None
        screen, no_app = None, ""
        try:
            inbox = await read_demo_inbox(ctx.engine, args.name, now, carrier=carrier)
            try:
                screen = await read_demo_phone(ctx.engine, args.name, now)
            except NoAuthenticator as exc:
                no_app = str(exc)
        except UnknownDemoAccount as exc:
            print(str(exc), file=sys.stderr)
            return 2
        finally:
            await ctx.engine.dispose()
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except ConfigError as exc:
        print(f"supportdesk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
