"""A recording handler for the poller: tests wait for deliveries against a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from supportdesk.service.channels.mail import MailCheckpoint, MailDelivery

DEADLINE_S = 15.0


class Intake:
    """What the intake operation does, minus the database: one ticket per Message-ID, and
    the checkpoint saved with it in the same step (so a crash can split neither)."""

    def __init__(self, fail_on: Callable[[MailDelivery], bool] | None = None) -> None:
        self.tickets: dict[str, MailDelivery] = {}
        self.offers: list[str] = []
        self.checkpoint: MailCheckpoint | None = None
        self._fail_on = fail_on
        self._changed = asyncio.Condition()

    async def __call__(self, delivery: MailDelivery) -> None:
        key = delivery.mail.message_id if delivery.mail else str(delivery.uid)
        self.offers.append(key)
        if self._fail_on is not None and self._fail_on(delivery):
            raise RuntimeError("the database went away")
        async with self._changed:
            self.tickets.setdefault(key, delivery)
            self.checkpoint = delivery.checkpoint
            self._changed.notify_all()

    async def wait_for(self, count: int, deadline_s: float = DEADLINE_S) -> None:
        """Until ``count`` tickets exist (TimeoutError past the deadline)."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.tickets) >= count), deadline_s
            )

    def subjects(self) -> list[str]:
        return [d.mail.subject for d in self.tickets.values() if d.mail is not None]
