"""The identity provider's own log for one user, beside the desk's chain (leads only).

privacyIDEA signs each audit row and checks the signatures as it answers; the lead sees
that verdict next to our entries, which name the rows by number.
"""

from __future__ import annotations

from supportdesk.api.audit import ProviderAudit, ProviderAuditRow
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.common import user_of
from supportdesk.service.provider import Capability, require
from supportdesk.service.store.engine import reading


async def provider_rows(ctx: ServiceContext, user_id: str, limit: int) -> ProviderAudit:
    """Newest first; 409 with the provider's reason where it keeps no log of its own."""
    require(ctx.provider, Capability.PROVIDER_AUDIT)
    async with reading(ctx.engine) as conn:
        await user_of(ctx, conn, user_id)
        events = await ctx.provider.provider_events(conn, user_id, limit)
    return ProviderAudit(
        provider=ctx.provider.name,
        user_id=user_id,
        rows=[
            ProviderAuditRow(
                number=e.number,
                at=e.at,
                action=e.action,
                serial=e.factor_id,
                success=e.outcome == "success",
                info=e.detail,
                signature_ok=e.signature_ok,
            )
            for e in events
        ],
    )
