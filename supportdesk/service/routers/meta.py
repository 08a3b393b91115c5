"""Public endpoints: health and capabilities (what this back end can do).

They reveal nothing about users, so they need no role; everything else does.
"""

from __future__ import annotations

from fastapi import APIRouter

from supportdesk import __version__
from supportdesk.api.models import Capabilities, Health
from supportdesk.service.deps import Ctx

router = APIRouter(prefix="/v1", tags=["meta"])

FEATURES = [
    "tickets",
    "users",
    "signins",
    "audit",
    "audit_export",
    "audit_verify",
    "audit_review",
    "enduser_signin",
    "why_prompted",
    "totp_diagnose",
    "lost_device",
    "approvals",
    "sms",
]


@router.get("/health", response_model=Health)
async def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get("/capabilities", response_model=Capabilities)
async def capabilities(ctx: Ctx) -> Capabilities:
    return Capabilities(
        backend="supportdesk reference auth service",
        version=__version__,
        demo_mode=ctx.settings.demo_mode,
        features=FEATURES,
    )
