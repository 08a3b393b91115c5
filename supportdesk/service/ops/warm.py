"""What a served process would otherwise load on its first requests, loaded at start.

Under `supportdesk serve` the first ticket read loads the triage model (scikit-learn,
about a second of CPU) and the first phone shown loads the numbering plans: with many
kiosks those first requests, and every request queued behind them, wait. A server
loads both (in a worker thread) before it takes its first request.
The embedded desk does not call this: its service starts without them (issue 13).
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


def _load() -> None:
    from supportdesk.rules.phone import analyse_phone
    from supportdesk.triage import preload

    analyse_phone("+447400123456")
    preload()


async def warm_up() -> None:
    """Load them in a thread; a failure is logged and left to the first request."""
    try:
        await asyncio.to_thread(_load)
    except Exception:  # the request that needs it will say what is wrong
        log.warning("warming up the served process failed", exc_info=True)
