"""The support mailbox, read in the background of a running service.

`supportdesk serve` (and the embedded desk, when a mailbox is configured) starts one
`MailboxRunner`: a task running the IMAP poller with the intake as its handler, resumed
from the checkpoint the intake stored with its last ticket. Stopping it (or the process
dying) at any point loses nothing and takes nothing twice: see `channels/mail/poller.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from supportdesk.service.channels.mail.poller import MailHandler, MailPoller, PollerState
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.intake import mail_checkpoint, mail_handler

log = logging.getLogger(__name__)


class MailboxRunner:
    """One poller task for the context's mailbox (``ctx.mail``)."""

    def __init__(self, ctx: ServiceContext, *, handler: MailHandler | None = None) -> None:
        self._ctx = ctx
        self._handler = handler or mail_handler(ctx)
        self.poller: MailPoller | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def state(self) -> PollerState:
        return self.poller.state if self.poller is not None else "stopped"

    async def start(self) -> None:
        """Start polling from the stored checkpoint (a no-op if already running)."""
        if self.task is not None and not self.task.done():
            return
        settings = self._ctx.mail
        checkpoint = await mail_checkpoint(self._ctx, settings.imap_folder)
        self.poller = MailPoller(settings, self._handler, checkpoint=checkpoint)
        self.task = asyncio.create_task(self.poller.run(), name="supportdesk-mail-poller")
        log.info(
            "mail poller started on %s (%s) from uid %s",
            settings.imap_host,
            settings.imap_folder,
            checkpoint.last_uid if checkpoint else "the first unseen message",
        )

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the poller to finish the message in hand; cancel it past ``timeout_s``."""
        if self.task is None or self.poller is None:
            return
        self.poller.stop()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout_s)
        except TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.task = None


async def start_mailbox(ctx: ServiceContext) -> MailboxRunner | None:
    """A running poller when the context has a mailbox (an IMAP host), else None.

    The classifier is loaded in a thread at the same time, so the first e-mail is triaged
    without waiting for it to train.
    """
    if not ctx.mail.imap_enabled:
        return None
    if ctx.settings.intake_triage:
        asyncio.get_running_loop().run_in_executor(None, _preload_triage)
    runner = MailboxRunner(ctx)
    await runner.start()
    return runner


def _preload_triage() -> None:
    try:
        from supportdesk.triage import preload

        preload()
    except Exception:  # the intake triages (or not) on its own; never stop the service
        log.exception("the triage model could not be loaded")
