"""Public endpoints: health and capabilities (what this back end can do).

They reveal nothing about users, so they need no role; everything else does.
"""

from __future__ import annotations

from fastapi import APIRouter

from supportdesk import __version__
from supportdesk.api.models import Capabilities, Health
from supportdesk.service.http.deps import Ctx
from supportdesk.service.ops.capabilities import capabilities as offered
from supportdesk.service.ops.readiness import ready as store_ready

router = APIRouter(prefix="/v1", tags=["meta"])


@router.get("/health", response_model=Health)
async def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get(
    "/ready",
    response_model=Health,
    responses={503: {"description": "the service answers but its database does not"}},
)
async def ready(ctx: Ctx) -> Health:
    """Health plus the database: what a desk paused by an outage polls to carry on."""
    return await store_ready(ctx)


@router.get("/capabilities", response_model=Capabilities)
async def capabilities(ctx: Ctx) -> Capabilities:
    return offered(ctx)
