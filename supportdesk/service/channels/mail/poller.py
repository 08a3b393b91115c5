"""The support mailbox poller: every new message handed to the intake exactly once.

How "exactly once" holds across restarts, crashes and cancellation:

1. Messages are taken in UID order, one at a time. For each, the handler receives a
   ``MailDelivery`` carrying the parsed mail (or why it was refused) *and the checkpoint
   that includes it*. The intake commits the ticket, keyed by Message-ID, and that
   checkpoint in one transaction.
2. Only after the handler returns does the poller move its own checkpoint and flag the
   message ``\\Seen`` plus ``$SupportdeskTaken`` (for people and for a checkpoint-less start).
3. A restart resumes from the persisted checkpoint: messages at or below it are never
   fetched again. A crash between the intake's commit and the flagging costs nothing, the
   checkpoint already moved with the ticket. If the folder's UIDVALIDITY changed, the
   poller takes unseen messages without its keyword and the Message-ID key turns any
   message seen before into a no-op.

A handler that raises stops the batch; nothing after it is taken until it succeeds, after
a backoff. Per-sender flood limits belong in the handler (it sees the sender first).
The blocking IMAP calls run in one worker thread per poller, so they never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Literal, ParamSpec, TypeVar, get_args

from supportdesk.service.channels.mail.imap_conn import (
    SESSION_ERRORS,
    FolderState,
    MailboxConnection,
)
from supportdesk.service.channels.mail.models import InboundMail, MailCheckpoint, MailRejected
from supportdesk.service.channels.mail.parse import oversize_rejection, parse_mail
from supportdesk.service.channels.mail.settings import MailSettings
from supportdesk.service.channels.tls import client_context

log = logging.getLogger(__name__)

PollerState = Literal["stopped", "connecting", "catching_up", "idle", "waiting", "backing_off"]
BATCH = 100
_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass(frozen=True)
class MailDelivery:
    """One message for the intake: ``mail`` or ``rejected`` is set, never both."""

    uid: int
    checkpoint: MailCheckpoint
    mail: InboundMail | None = None
    rejected: MailRejected | None = None


MailHandler = Callable[[MailDelivery], Awaitable[None]]


class HandlerFailed(Exception):
    """The intake raised for a message; it is offered again after a backoff."""


class MailPoller:
    """Reads the support folder over IMAP, with IDLE when the server offers it."""

    def __init__(
        self,
        settings: MailSettings,
        handler: MailHandler,
        *,
        checkpoint: MailCheckpoint | None = None,
        on_state: Callable[[PollerState], None] | None = None,
    ) -> None:
        if not settings.imap_host:
            raise ValueError("the mail channel has no imap_host")
        self._settings = settings
        self._handler = handler
        self._checkpoint = checkpoint
        self._on_state = on_state
        self._context = client_context(settings.ca_file)
        self._stop = asyncio.Event()
        self._conn: MailboxConnection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._events = {state: asyncio.Event() for state in get_args(PollerState)}
        self.state: PollerState = "stopped"
        self.last_error: str | None = None
        self.taken = 0
        """Messages handed to the handler successfully since this poller was made."""

    @property
    def checkpoint(self) -> MailCheckpoint | None:
        return self._checkpoint

    # -- running ------------------------------------------------------------------------
    async def run(self) -> None:
        """Poll until ``stop()`` or cancellation; errors reconnect after a growing pause."""
        self._stop.clear()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-poller")
        delay = self._settings.backoff_initial_s
        try:
            while not self._stop.is_set():
                try:
                    await self._session(forever=True)
                except (*SESSION_ERRORS, HandlerFailed) as exc:
                    self.last_error = _describe(exc)
                    log.warning("mail poller: %s; retrying in %.1f s", self.last_error, delay)
                    self._set_state("backing_off")
                    await self._pause(delay)
                    delay = min(delay * 2, self._settings.backoff_max_s)
                else:
                    delay = self._settings.backoff_initial_s
        finally:
            self._finish()

    async def sync_once(self) -> int:
        """Connect, take everything new, disconnect; the number of messages taken."""
        before = self.taken
        self._stop.clear()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-poller")
        try:
            await self._session(forever=False)
        finally:
            self._finish()
        return self.taken - before

    def stop(self) -> None:
        """Ask ``run`` to end after the message in hand (an IDLE wait ends at once)."""
        self._stop.set()
        if self._conn is not None:
            self._conn.wake()

    async def wait_for_state(self, state: PollerState, timeout: float) -> None:
        """Wait until the poller is in ``state`` (TimeoutError after ``timeout`` seconds)."""
        await asyncio.wait_for(self._events[state].wait(), timeout)

    # -- one connection -----------------------------------------------------------------
    async def _session(self, *, forever: bool) -> None:
        self._set_state("connecting")
        conn = MailboxConnection(self._settings, self._context)
        self._conn = conn
        try:
            folder = await self._call(conn.connect)
            self.last_error = None
            use_idle = self._settings.idle and folder.can_idle
            while not self._stop.is_set():
                self._set_state("catching_up")
                await self._catch_up(conn, folder)
                if not forever or self._stop.is_set():
                    return
                if use_idle:
                    await self._call(conn.idle, self._settings.idle_refresh_s, self._idling_cb())
                else:
                    self._set_state("waiting")
                    await self._pause(self._settings.poll_interval_s)
        finally:
            self._conn = None
            conn.wake()
            await asyncio.shield(self._call(conn.close))

    async def _catch_up(self, conn: MailboxConnection, folder: FolderState) -> None:
        while not self._stop.is_set():
            await self._call(conn.saw_new_mail)
            uids = await self._call(conn.search_new, self._checkpoint, folder.uidvalidity)
            if not uids:
                if await self._call(conn.saw_new_mail):
                    continue
                return
            batch = uids[:BATCH]
            sizes = await self._call(conn.sizes, batch)
            for uid in batch:
                if self._stop.is_set():
                    return
                await self._take(conn, folder, uid, sizes.get(uid, 0))

    async def _take(
        self, conn: MailboxConnection, folder: FolderState, uid: int, size: int
    ) -> None:
        checkpoint = MailCheckpoint(
            folder=self._settings.imap_folder, uidvalidity=folder.uidvalidity, last_uid=uid
        )
        delivery = await self._read(conn, uid, size, checkpoint)
        if delivery is not None:
            try:
                await self._handler(delivery)
            except Exception as exc:
                raise HandlerFailed(
                    f"the intake failed on message uid {uid}: {_describe(exc)}"
                ) from exc
            self.taken += 1
        self._checkpoint = checkpoint
        await self._call(conn.mark_taken, uid, folder.keyword_allowed)

    async def _read(
        self, conn: MailboxConnection, uid: int, size: int, checkpoint: MailCheckpoint
    ) -> MailDelivery | None:
        limit = self._settings.max_message_bytes
        if size > limit:
            head = await self._call(conn.fetch, uid, headers_only=True)
            if head is None:
                return None
            rejected = oversize_rejection(head, size, limit)
            return MailDelivery(uid=uid, checkpoint=checkpoint, rejected=rejected)
        raw = await self._call(conn.fetch, uid)
        if raw is None:
            return None
        try:
            mail = parse_mail(raw, max_bytes=limit, max_text_chars=self._settings.max_text_chars)
        except MailRejected as rejected:
            return MailDelivery(uid=uid, checkpoint=checkpoint, rejected=rejected)
        return MailDelivery(uid=uid, checkpoint=checkpoint, mail=mail)

    # -- plumbing -----------------------------------------------------------------------
    async def _call(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    def _idling_cb(self) -> Callable[[], None]:
        """Called from the IMAP thread once the server confirms IDLE."""
        loop = asyncio.get_running_loop()

        def entered() -> None:
            loop.call_soon_threadsafe(self._set_state, "idle")

        return entered

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    def _set_state(self, state: PollerState) -> None:
        if state != self.state and self._on_state is not None:
            self._on_state(state)
        self.state = state
        for name, event in self._events.items():
            if name == state:
                event.set()
            else:
                event.clear()

    def _finish(self) -> None:
        self._set_state("stopped")
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
