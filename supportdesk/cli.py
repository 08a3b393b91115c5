"""The entry point: parses the command line and wires a back end to the desk.

This is the only module that knows both the service and the desk. It stays
light at import time so the sign-in screen paints before anything heavy loads.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from supportdesk import __version__

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from supportdesk.api.backend import DeskBackend
    from supportdesk.config import DeskSettings
    from supportdesk.embedded_process import EmbeddedService
    from supportdesk.service.settings import ServiceSettings
    from supportdesk.tui.app import SupportDeskApp

# Nothing else at import time: the desk's embedded service starts before the rest of
# the desk (argparse, the commands, asyncio, Textual) loads, so it has those
# milliseconds too. Each function imports what it uses.


def build_parser() -> argparse.ArgumentParser:
    import argparse
    from pathlib import Path

    from supportdesk.commands import agents as agents_command
    from supportdesk.commands import audit as audit_command
    from supportdesk.commands import demo as demo_command
    from supportdesk.commands import phone as phone_command
    from supportdesk.commands import triage as triage_command

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
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (off: the audit log records every change already)",
    )
    serve.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="worker processes (uvicorn) on one port; for many kiosks, with PostgreSQL",
    )
    serve.add_argument(
        "--provider",
        choices=("builtin", "privacyidea"),
        help="where users and factors live (default: SUPPORTDESK_SERVICE_PROVIDER or builtin); "
        "privacyidea reads SUPPORTDESK_PI_URL, _USER_REALMS, _ADMIN_USERNAME, "
        "_ADMIN_PASSWORD(_FILE)",
    )
    serve.set_defaults(func=run_serve)

    demo_command.register(sub)
    phone_command.register(sub)
    audit_command.register(sub)
    agents_command.register(sub)
    triage_command.register(sub)
    return parser


def _settings(args: argparse.Namespace) -> DeskSettings:
    from supportdesk.config import load_settings

    return load_settings(
        api_url=getattr(args, "api", None), data_dir=getattr(args, "data_dir", None)
    )


def build_desk(
    settings: DeskSettings | Callable[[], DeskSettings],
    *,
    service: EmbeddedService | None = None,
) -> SupportDeskApp:
    """The desk wired to its back end: a remote URL, or the embedded demo service.

    Settings may be given as a loader: the desk then reads them in a thread after its
    first frame (pydantic loads there), and a bad config ends it with the message.
    `service` is the embedded service already started at launch; without one the desk
    starts it when it connects.
    """
    from supportdesk.tui.app import SupportDeskApp

    label = "" if callable(settings) else (settings.api_url or "embedded demo")

    async def connect(loaded: DeskSettings) -> DeskBackend:
        nonlocal service
        if not loaded.api_url and (service is None or not service.usable()):
            from supportdesk.embedded_process import EmbeddedService, supported

            if not supported():
                return await connect_in_process(loaded)
            if service is not None:
                service.stop()  # it failed; retrying starts a fresh one
            service = EmbeddedService.start(loaded.data_dir)
        return await connect_backend(loaded, service)

    async def release() -> None:
        import asyncio

        if service is not None:
            await asyncio.to_thread(service.stop)

    return SupportDeskApp(connect, settings, backend_label=label, release=release)


def launch_desk(
    api_url: str | None = None,
    data_dir: Path | None = None,
    *,
    service: EmbeddedService | None = None,
) -> SupportDeskApp:
    """The desk as the command line runs it: unless it talks to a remote service, the
    embedded one starts now, in its own process, while the desk loads and paints
    (`service`: one `main` already started for these arguments)."""
    # The collector waits until the first frame (the app turns it back on): start-up
    # only creates objects that live as long as the desk.
    import gc

    gc.disable()
    remote = _names_a_remote(api_url)
    if service is None and not remote:
        service = start_embedded(api_url, data_dir)
    from supportdesk.commands.demo import credentials
    from supportdesk.config import load_settings

    if not remote:
        print(credentials())
    overrides = {"api_url": api_url, "data_dir": data_dir}
    return build_desk(lambda: load_settings(**overrides), service=service)


def start_embedded(api_url: str | None, data_dir: Path | None) -> EmbeddedService | None:
    """The embedded service's process, started now, unless the desk will talk to a remote
    service or the platform has no Unix sockets (then the desk runs it in-process)."""
    if _names_a_remote(api_url):
        return None
    from supportdesk.embedded_process import EmbeddedService, supported

    return EmbeddedService.start(data_dir) if supported() else None


def run_desk(args: argparse.Namespace) -> int:
    app = launch_desk(
        getattr(args, "api", None),
        getattr(args, "data_dir", None),
        service=getattr(args, "embedded_service", None),
    )
    app.run()  # the embedded service ends with the desk (its client closes on unmount)
    return app.return_code or 0


def _names_a_remote(flag: object) -> bool:
    """Whether the desk will talk to a remote service, read without loading the settings
    model (that happens after the first frame): the flag, the environment, the file."""
    from supportdesk.config import ENV_PREFIX, config_file

    if flag or os.environ.get(f"{ENV_PREFIX}API_URL"):
        return True
    try:
        text = config_file().read_text(encoding="utf-8")
    except OSError:  # no config file: the usual case, decided without a TOML parser
        return False
    import tomllib

    try:
        return bool(tomllib.loads(text).get("api_url"))
    except tomllib.TOMLDecodeError:
        return False


async def connect_backend(
    settings: DeskSettings, service: EmbeddedService | None = None
) -> DeskBackend:
    """The remote service at api_url, or the embedded demo service in its own process."""
    import asyncio
    import importlib

    if settings.api_url:
        if service is not None:
            service.stop()  # the settings name a remote after all: the child is not needed
        await asyncio.to_thread(importlib.import_module, "supportdesk.api.client")
        import httpx

        from supportdesk.api.client import SupportDeskClient

        return SupportDeskClient(
            settings.api_url, timeout=httpx.Timeout(settings.request_timeout_s, connect=5.0)
        )
    if service is None:
        from supportdesk.embedded_process import EmbeddedService

        service = EmbeddedService.start(settings.data_dir)
    # A failure to start (ServiceStartError) reaches the agent as its message.
    return await service.client(settings.request_timeout_s)


async def connect_in_process(settings: DeskSettings) -> DeskBackend:
    """The embedded service inside the desk's process, where a child cannot be reached
    over a Unix socket: its heavy imports load off the UI loop."""
    import asyncio
    import importlib

    embedded = await asyncio.to_thread(importlib.import_module, "supportdesk.embedded")
    backend: DeskBackend = await embedded.connect_embedded(
        settings.data_dir, settings.request_timeout_s
    )
    return backend


def run_serve(args: argparse.Namespace) -> int:
    import asyncio

    import uvicorn

    from supportdesk.commands import demo as demo_command
    from supportdesk.embedded import served_app
    from supportdesk.service.settings import ServiceSettings as Settings

    overrides: dict[str, object] = {"demo_mode": bool(args.demo)}
    db = args.db or os.environ.get("SUPPORTDESK_SERVICE_DB_URL")
    overrides["db_url"] = db or demo_command.default_store(_settings(args), demo=args.demo)
    if getattr(args, "provider", None):
        overrides["provider"] = args.provider
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if settings.provider == "privacyidea":
        problem = _privacyidea_problem()
        if problem is not None:
            print(f"supportdesk serve: {problem}", file=sys.stderr)
            return 2
        print("supportdesk serve: users and factors are in privacyIDEA", flush=True)
    elif settings.sms_gateway == "simulated" and not settings.demo_mode:
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
    if args.workers == 1:
        uvicorn.run(
            served_app(settings),
            host=args.host,
            port=args.port,
            log_level="info",
            access_log=args.access_log,
        )
        return 0
    if settings.db_url.startswith("sqlite"):
        print(
            f"supportdesk serve: {args.workers} workers on SQLite share one file: correct, "
            "but every write waits for the one write lock. Use PostgreSQL for many kiosks.",
            file=sys.stderr,
            flush=True,
        )
    # The schema and the server key are made once, here, not raced by the workers.
    asyncio.run(_prepare_store(settings))
    # Workers are fresh processes: they read the same settings from the environment.
    os.environ["SUPPORTDESK_SERVICE_DB_URL"] = settings.db_url
    os.environ["SUPPORTDESK_SERVICE_DEMO_MODE"] = "1" if settings.demo_mode else "0"
    os.environ["SUPPORTDESK_SERVICE_PROVIDER"] = settings.provider
    uvicorn.run(
        "supportdesk.embedded:served_app_from_environment",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=args.access_log,
    )
    return 0


def _positive_int(text: str) -> int:
    import argparse

    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


async def _prepare_store(settings: ServiceSettings) -> None:
    from supportdesk.service.context import open_context

    ctx = await open_context(settings)
    await ctx.aclose()


def _privacyidea_problem() -> str | None:
    """What is missing from the privacyIDEA settings (never their values)."""
    from pydantic import ValidationError

    from supportdesk.service.provider.privacyidea import PrivacyIdeaSettings

    try:
        pi = PrivacyIdeaSettings()
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]).upper() for e in exc.errors() if e["loc"])
        return f"the privacyIDEA settings are invalid: SUPPORTDESK_PI_{fields or '*'}"
    missing = [
        name
        for name, value in (
            ("SUPPORTDESK_PI_URL", pi.url),
            ("SUPPORTDESK_PI_USER_REALMS", pi.user_realms),
            ("SUPPORTDESK_PI_ADMIN_USERNAME", pi.admin_username),
        )
        if not value
    ]
    if pi.admin_password is None and pi.admin_password_file is None:
        missing.append("SUPPORTDESK_PI_ADMIN_PASSWORD or SUPPORTDESK_PI_ADMIN_PASSWORD_FILE")
    return f"privacyIDEA needs {', '.join(missing)}" if missing else None


def _channels_line() -> str:
    """Which channels bring tickets in, as configured (docs/channels.md)."""
    from pydantic import ValidationError

    from supportdesk.service.channels.mail.settings import MailSettings
    from supportdesk.service.channels.messenger.settings import MessengerSettings

    try:
        mail, messenger = MailSettings(), MessengerSettings()
    except ValidationError as exc:
        from supportdesk.config import ConfigError

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
        await ctx.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    # The plain desk (no command) starts its embedded service before the parser and the
    # commands load; anything else is left to the parser.
    desk = _desk_flags(arguments)
    early = start_embedded(*desk) if desk is not None else None
    from supportdesk.config import ConfigError

    args = build_parser().parse_args(arguments)
    if early is not None:
        if args.func is run_desk:
            args.embedded_service = early
        else:  # cannot happen for arguments _desk_flags accepts; never leave it running
            early.stop()
    try:
        code = args.func(args)
    except ConfigError as exc:
        print(f"supportdesk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(code)


def _desk_flags(arguments: Sequence[str]) -> tuple[str | None, Path | None] | None:
    """(api, data_dir) when these arguments run the desk and name nothing else; None
    for a command, help, the version, or anything the full parser should judge."""
    import argparse
    from pathlib import Path

    flags = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    flags.add_argument("--api")
    flags.add_argument("--data-dir", type=Path)
    try:
        known, rest = flags.parse_known_args(list(arguments))
    except argparse.ArgumentError:
        return None
    return None if rest else (known.api, known.data_dir)


if __name__ == "__main__":
    sys.exit(main())
