"""``supportdesk audit export|verify``: the audit log for scripts and compliance.

Both run on the embedded store directly (whoever holds the file holds the log)
or, with the top-level ``--api URL``, against a service as a team lead: the
username from ``--user`` (or SUPPORTDESK_USER), the password and the current
code from SUPPORTDESK_PASSWORD / SUPPORTDESK_CODE or asked for at the terminal.

Exports stream a batch at a time into the file, so a year of entries takes
no more memory than a page. Exit status: export 0 when written, 2 when it
could not run; verify 0 when the chain is intact, 1 when it is broken (the
first bad entry is printed), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from supportdesk.api.audit import (
        AuditFilter,
        AuditReceipt,
        ExportFormat,
        ReceiptCheck,
        VerifyStep,
    )
    from supportdesk.api.client import SupportDeskClient
    from supportdesk.config import DeskSettings

T = TypeVar("T")

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_FAILED = 2


class CommandError(Exception):
    """Why the command could not run, in words for the person at the terminal."""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``audit export`` and ``audit verify`` to the main CLI's subparsers."""
    audit = subparsers.add_parser(
        "audit",
        help="export or verify the audit log (team leads)",
        description="Export or verify the hash-chained audit log. With the top-level "
        "--api URL, sign in to that service as a team lead; otherwise read the embedded store.",
    )
    commands = audit.add_subparsers(title="audit commands", metavar="AUDIT_COMMAND", required=True)

    export = commands.add_parser(
        "export",
        help="stream entries to CSV or JSON Lines, oldest first",
        description="Stream the matching entries, oldest first, to a file or stdout. A whole-log "
        "export in JSON Lines verifies offline: every hashed field is kept as hashed.",
    )
    export.add_argument("--format", choices=["csv", "jsonl"], default="csv", dest="fmt")
    export.add_argument(
        "--since", metavar="WHEN", help="from the start of WHEN ('2026-11-01', 'yesterday', …)"
    )
    export.add_argument(
        "--until", metavar="WHEN", help="up to the end of WHEN ('2026-11-15' includes that day)"
    )
    export.add_argument(
        "--range", metavar="RANGE", dest="time_range", help="'last 7 days', 'since Monday', A..B"
    )
    export.add_argument("--agent", help="only this agent's actions")
    export.add_argument("--action", help="'mfa.reset', 'mfa.*', or 'reset' for every reset")
    export.add_argument("--target", metavar="USER_ID", help="only actions on this user")
    export.add_argument("--outcome", help="success, failed, refused, …")
    export.add_argument("--ticket", help="only this ticket")
    export.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    export.add_argument(
        "--receipt",
        type=Path,
        metavar="FILE",
        help="keep a signed receipt of the log's head here (default with --out: "
        "FILE.receipt.json); `audit verify --receipt` proves the log still holds it",
    )
    _common(export)
    export.set_defaults(func=run_export)

    verify = commands.add_parser(
        "verify",
        help="walk the hash chain: exit 0 intact, 1 broken",
        description="Walk the whole chain. Prints 'intact, N entries' (exit 0) or the first "
        "entry where it breaks and how: edited, missing or reordered (exit 1). With --receipt, "
        "also proves the log still holds the head a receipt recorded: entries cut after it, "
        "a deleted head row or an emptied log are named (exit 1).",
    )
    verify.add_argument(
        "--receipt",
        type=Path,
        metavar="FILE",
        help="a receipt kept from an earlier export or verify",
    )
    verify.add_argument(
        "--save-receipt",
        type=Path,
        metavar="FILE",
        help="when intact, keep a signed receipt of today's head here",
    )
    _common(verify)
    verify.set_defaults(func=run_verify)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        default=os.environ.get("SUPPORTDESK_USER"),
        help="team lead to sign in as with --api (default: SUPPORTDESK_USER)",
    )
    parser.add_argument(
        "--zone", metavar="IANA", help="zone for dates (default: display_timezone, else local)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


# -- entry points ------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_export(args))
    except CommandError as exc:
        print(f"audit export: {exc}", file=sys.stderr)
        return EXIT_FAILED


def run_verify(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_verify(args))
    except CommandError as exc:
        print(f"audit verify: {exc}", file=sys.stderr)
        return EXIT_FAILED


# -- export -------------------------------------------------------------------------------------


async def _export(args: argparse.Namespace) -> int:
    from supportdesk.api.audit import render

    settings = _settings(args)
    filters = _filters(args, _zone(args, settings))
    fmt: ExportFormat = args.fmt
    progress = Progress(enabled=not args.quiet and args.out is not None)
    receipt_path: Path | None = args.receipt or (
        args.out.with_name(args.out.name + ".receipt.json") if args.out is not None else None
    )
    with _Output(args.out) as out:
        written = 0
        if fmt == "csv":
            out.write(render("csv", [], header=True))
        async with _store(settings, args) as store:
            if receipt_path is not None:  # the head before the export: the file reaches it
                _save_receipt(receipt_path, await store.receipt())
            async for text, rows, fraction in store.export(filters, fmt):
                out.write(text)
                written += rows
                progress.show(f"exporting… {written} entries", fraction)
    progress.done(f"exported {written} entries" + (f" to {args.out}" if args.out else ""))
    return EXIT_OK


class _Output:
    """The export's destination: FILE is written as FILE.part and renamed when complete,
    so a cut-off export never passes for a whole one."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part") if path is not None else None
        self.handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if self.part is None:
            return sys.stdout
        try:
            self.handle = self.part.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise CommandError(f"cannot write {self.path}: {exc.strerror}") from exc
        return self.handle

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if self.handle is None or self.part is None or self.path is None:
            sys.stdout.flush()
            return
        self.handle.close()
        if kind is None:
            self.part.replace(self.path)
        else:
            self.part.unlink(missing_ok=True)


# -- verify ------------------------------------------------------------------------------------


async def _verify(args: argparse.Namespace) -> int:
    settings = _settings(args)
    progress = Progress(enabled=not args.quiet)
    receipt = _load_receipt(args.receipt) if args.receipt is not None else None
    async with _store(settings, args) as store:
        last: VerifyStep | None = None
        async for step in store.verify():
            last = step
            fraction = step.last_seq / step.head_seq if step.head_seq else 1.0
            progress.show(f"verifying… entry {step.last_seq} of {step.head_seq}", fraction)
        assert last is not None
        progress.done("")
        print(last.summary)
        held = True
        if receipt is not None:
            check = await store.check_receipt(receipt)
            print(check.summary)
            held = check.holds
        if last.first_break is None:
            if held and args.save_receipt is not None:
                _save_receipt(args.save_receipt, await store.receipt())
            return EXIT_OK if held else EXIT_BROKEN
        entry = await store.entry(last.first_break.seq)
        if entry is None:
            print(f"entry {last.first_break.seq} is not in the log")
        else:
            for name, value in entry.items():
                print(f"  {name:<12} {'' if value is None else value}")
        return EXIT_BROKEN


def _save_receipt(path: Path, receipt: AuditReceipt) -> None:
    try:
        path.write_text(receipt.model_dump_json(indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write the receipt {path}: {exc.strerror}") from exc


def _load_receipt(path: Path) -> AuditReceipt:
    from pydantic import ValidationError

    from supportdesk.api.audit import AuditReceipt

    try:
        return AuditReceipt.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise CommandError(f"cannot read the receipt {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        raise CommandError(f"{path} is not an audit receipt") from exc


# -- the two back ends ---------------------------------------------------------------------------


@dataclass
class _Store:
    """What export and verify need, the same whether the store is here or behind an API."""

    export: Callable[[AuditFilter, ExportFormat], AsyncIterator[tuple[str, int, float]]]
    """The export's text a batch at a time: (text, entries in it, how far through)."""
    verify: Callable[[], AsyncIterator[VerifyStep]]
    entry: Callable[[int], Awaitable[dict[str, Any] | None]]
    receipt: Callable[[], Awaitable[AuditReceipt]]
    check_receipt: Callable[[AuditReceipt], Awaitable[ReceiptCheck]]


@asynccontextmanager
async def _store(settings: DeskSettings, args: argparse.Namespace) -> AsyncIterator[_Store]:
    if settings.api_url:
        async with _remote(settings, args) as store:
            yield store
    else:
        async with _embedded(settings) as store:
            yield store


@asynccontextmanager
async def _embedded(settings: DeskSettings) -> AsyncIterator[_Store]:
    """Straight at the store file: no service, no sign-in (the file is the log)."""
    from supportdesk.service.demo.store import open_demo_context
    from supportdesk.service.ops import audit_log, audit_receipts, audit_verify

    ctx = await open_demo_context(settings.data_dir)
    engine = ctx.engine

    async def export(
        filters: AuditFilter, fmt: ExportFormat
    ) -> AsyncIterator[tuple[str, int, float]]:
        first, head = await audit_log.export_bounds(engine, filters)
        span = max(1, head - first + 1)
        async for text, rows, last in audit_log.iter_export(engine, filters, fmt):
            yield text, rows, min(1.0, (last - first + 1) / span)

    async def entry(seq: int) -> dict[str, Any] | None:
        return await audit_log.entry(engine, seq)

    async def receipt() -> AuditReceipt:
        return await _local(audit_receipts.issue_receipt(ctx))

    async def check_receipt(found: AuditReceipt) -> ReceiptCheck:
        return await _local(audit_receipts.check_receipt(ctx, found))

    try:
        yield _Store(
            export=export,
            verify=lambda: audit_verify.verify_all(engine),
            entry=entry,
            receipt=receipt,
            check_receipt=check_receipt,
        )
    finally:
        await engine.dispose()


async def _local(call: Awaitable[T]) -> T:
    """An operation run here: its refusal is the command's."""
    from supportdesk.service.errors import ServiceError

    try:
        return await call
    except ServiceError as exc:
        raise CommandError(exc.message) from exc


async def connect_remote(url: str, timeout_s: float) -> SupportDeskClient:
    """A client for the service at `url` (tests replace this with an in-process one)."""
    import httpx

    from supportdesk.api.client import SupportDeskClient

    return SupportDeskClient(url, timeout=httpx.Timeout(timeout_s, connect=5.0))


@asynccontextmanager
async def _remote(settings: DeskSettings, args: argparse.Namespace) -> AsyncIterator[_Store]:
    """Signed in to a service as a team lead; signed out again however it ends."""
    from supportdesk.api.errors import ApiError

    assert settings.api_url is not None
    username, password, code = _credentials(args)
    client = await connect_remote(settings.api_url, settings.request_timeout_s)
    try:
        try:
            await client.sign_in(username, password, code)
        except ApiError as exc:
            raise CommandError(f"sign-in to {settings.api_url} refused: {exc.message}") from exc

        async def export(
            filters: AuditFilter, fmt: ExportFormat
        ) -> AsyncIterator[tuple[str, int, float]]:
            # The service spells the file's records; the header is written here.
            async for text, rows, fraction in client.audit_export_text(filters, fmt, header=False):
                yield text, rows, fraction

        async def entry(seq: int) -> dict[str, Any] | None:
            from supportdesk.api.audit import AuditFilter

            page = await client.audit_find(AuditFilter(), seqs=[seq], limit=1)
            return page.entries[0].model_dump() if page.entries else None

        try:
            yield _Store(
                export=export,
                verify=client.audit_verify,
                entry=entry,
                receipt=client.audit_receipt,
                check_receipt=client.audit_check_receipt,
            )
        except ApiError as exc:
            raise CommandError(exc.message) from exc
    finally:
        with suppress(ApiError):
            await client.sign_out()
        await client.aclose()


def _credentials(args: argparse.Namespace) -> tuple[str, str, str]:
    username = args.user or _ask("Team lead username: ", secret=False)
    password = os.environ.get("SUPPORTDESK_PASSWORD") or _ask("Password: ", secret=True)
    code = os.environ.get("SUPPORTDESK_CODE") or _ask("Code from your authenticator: ", False)
    return username, password, code


def _ask(prompt: str, secret: bool) -> str:
    if not sys.stdin.isatty():
        raise CommandError(
            f"{prompt.rstrip(': ').lower()} needed: give --user and set SUPPORTDESK_PASSWORD "
            "and SUPPORTDESK_CODE, or run it at a terminal"
        )
    answer = getpass.getpass(prompt) if secret else input(prompt)
    if not answer.strip():
        raise CommandError(f"no {prompt.rstrip(': ').lower()} given")
    return answer.strip()


# -- options ---------------------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> DeskSettings:
    from supportdesk.config import load_settings

    return load_settings(
        api_url=getattr(args, "api", None), data_dir=getattr(args, "data_dir", None)
    )


def _zone(args: argparse.Namespace, settings: DeskSettings) -> tzinfo:
    from dateutil import tz

    name = args.zone or settings.display_timezone
    if not name:
        return tz.tzlocal()
    found = tz.gettz(name)
    if found is None:
        raise CommandError(f"unknown time zone '{name}'")
    return found


def _filters(args: argparse.Namespace, zone: tzinfo) -> AuditFilter:
    from supportdesk.api.audit import AuditFilter
    from supportdesk.rules.time_range import TimeRangeError, parse_moment, parse_time_range

    now = datetime.now(UTC)
    since: datetime | None = None
    until: datetime | None = None
    try:
        if args.time_range:
            found = parse_time_range(args.time_range, now, zone)
            since, until = found.since, found.until
        if args.since:
            since = parse_moment(args.since, now, zone)
        if args.until:
            until = parse_moment(args.until, now, zone, end=True)
    except TimeRangeError as exc:
        raise CommandError(str(exc)) from exc
    if since is not None and until is not None and until <= since:
        raise CommandError("--until is before --since")
    return AuditFilter(
        agent=args.agent,
        user=args.target,
        action=args.action,
        outcome=args.outcome,
        ticket=args.ticket,
        since=since.astimezone(UTC) if since else None,
        until=until.astimezone(UTC) if until else None,
    )


class Progress:
    """A one-line progress bar on stderr, only when a person is watching it."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.shown = False

    def show(self, text: str, fraction: float) -> None:
        if not self.enabled:
            return
        filled = int(fraction * 30)
        print(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {text}",
            end="",
            file=sys.stderr,
            flush=True,
        )
        self.shown = True

    def done(self, text: str) -> None:
        if self.shown:
            print("\r\033[K", end="", file=sys.stderr)
        if text:
            print(text, file=sys.stderr)
