"""Whether the service can do its work: it answers, and so does its database.

`/v1/health` says only that the process answers (start-up waits and load balancers
use it); `/v1/ready` also asks the store, so a desk paused by a database outage can
tell, without a session and without changing anything, when to carry on.
"""

from __future__ import annotations

from sqlalchemy import text

from supportdesk import __version__
from supportdesk.api.models import Health
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.engine import reading


async def ready(ctx: ServiceContext) -> Health:
    """Ok once a trivial read succeeds; a store that does not answer raises (503 upstream)."""
    async with reading(ctx.engine) as conn:
        await conn.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__)
