"""The entry point: parses the command line and wires a back end to the desk.

This is the only module that knows both the service and the desk. It stays
light at import time so the sign-in screen paints before anything heavy loads.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from supportdesk import __version__
from supportdesk.commands import audit as audit_command
from supportdesk.commands import demo as demo_command
from supportdesk.commands import phone as phone_command
from supportdesk.commands import triage as triage_command
from supportdesk.config import ConfigError, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from supportdesk.api.backend import DeskBackend
    from supportdesk.config import DeskSettings
    from supportdesk.service.settings import ServiceSettings
    from supportdesk.tui.app import SupportDeskApp

DEMO_CREDENTIALS = demo_command.credentials()


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
    serve.add_argument(
        "--db",
        metavar="URL",
        help="store URL (sqlite:///FILE or postgresql://…); default: a SQLite file in the "
        "user data folder (the demo's own with --demo)",
    )
    serve.add_argument(
        "--demo", action="store_true", help="seed the demo world if the store is empty"
    )
    serve.set_defaults(func=run_serve)

    demo_command.register(sub)
    phone_command.register(sub)
    audit_command.register(sub)
    triage_command.register(sub)
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

    from supportdesk.embedded import served_app
    from supportdesk.service.settings import ServiceSettings as Settings

    overrides: dict[str, object] = {"demo_mode": bool(args.demo)}
    db = args.db or os.environ.get("SUPPORTDESK_SERVICE_DB_URL")
    overrides["db_url"] = db or demo_command.default_store(_settings(args), demo=args.demo)
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
    print(f"supportdesk serve: the store is {settings.db_url}", flush=True)
    print(f"supportdesk serve: {_channels_line()}", flush=True)
    if args.demo:
        asyncio.run(_seed_if_empty(settings))
        print(demo_command.credentials(args.db), flush=True)
    uvicorn.run(served_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _channels_line() -> str:
    """Which channels bring tickets in, as configured (docs/channels.md)."""
    from pydantic import ValidationError

    from supportdesk.service.channels.mail.settings import MailSettings
    from supportdesk.service.channels.messenger.settings import MessengerSettings

    try:
        mail, messenger = MailSettings(), MessengerSettings()
    except ValidationError as exc:
        raise ConfigError(f"the mail or messenger settings are wrong: {exc}") from exc
    said = [
        f"reading the support mailbox on {mail.imap_host}"
        if mail.imap_enabled
        else "no support mailbox (set SUPPORTDESK_MAIL_IMAP_HOST)",
        "messenger webhooks at /v1/intake/messenger and /v1/intake/chatwoot"
        if messenger.enabled
        else "messenger webhooks refused (set SUPPORTDESK_MESSENGER_WEBHOOK_SECRET)",
    ]
    return "; ".join(said)


async def _seed_if_empty(settings: ServiceSettings) -> None:
    from supportdesk.service.context import open_context
    from supportdesk.service.demo.store import seed_if_empty

    ctx = await open_context(settings)
    try:
        await seed_if_empty(ctx)
    finally:
        await ctx.engine.dispose()


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
