"""Public endpoints: health and capabilities (what this back end can do).

They reveal nothing about users, so they need no role; everything else does.
"""

from __future__ import annotations

from fastapi import APIRouter

from supportdesk import __version__
from supportdesk.api.models import Capabilities, Health
from supportdesk.service.http.deps import Ctx
from supportdesk.service.ops.capabilities import capabilities as offered

router = APIRouter(prefix="/v1", tags=["meta"])


@router.get("/health", response_model=Health)
async def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get("/capabilities", response_model=Capabilities)
async def capabilities(ctx: Ctx) -> Capabilities:
    return offered(ctx)
