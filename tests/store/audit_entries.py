"""A short log to tamper with: the store tests' own entries after the demo world's."""

from __future__ import annotations

from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.context import ServiceContext

ENTRIES = 12


async def fill(ctx: ServiceContext) -> list[int]:
    """A dozen resets after the demo world's own entries; returns their seqs."""
    seqs = []
    for i in range(ENTRIES):
        async with ctx.engine.begin() as conn:
            seqs.append(
                await append_audit(
                    conn,
                    at=ctx.clock.now(),
                    actor=Actor("demo-agent", "agent"),
                    action="mfa.reset",
                    outcome="success",
                    target_user=f"u10{i:02d}",
                    reason="lost phone",
                    verification=["video call"],
                )
            )
    return seqs
