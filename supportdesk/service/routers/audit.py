"""The audit log, read by team leads: filtered and keyset-paged on the server."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from supportdesk.api.models import AuditEntry, AuditPage
from supportdesk.service.db.schema import as_utc, audit_log
from supportdesk.service.deps import Ctx, CurrentLead

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage)
async def read_audit(
    _lead: CurrentLead,
    ctx: Ctx,
    agent: str | None = None,
    user: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    ticket: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Annotated[
        int | None, Query(ge=1, description="keyset cursor: seq to page below")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Newest first; `next_cursor` fetches the following page."""
    stmt = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit + 1)
    filters = {
        audit_log.c.actor: agent,
        audit_log.c.target_user: user,
        audit_log.c.action: action,
        audit_log.c.outcome: outcome,
        audit_log.c.ticket_id: ticket,
    }
    for column, wanted in filters.items():
        if wanted:
            stmt = stmt.where(column == wanted)
    if since is not None:
        stmt = stmt.where(audit_log.c.at >= as_utc(since))
    if until is not None:
        stmt = stmt.where(audit_log.c.at < as_utc(until))
    if before is not None:
        stmt = stmt.where(audit_log.c.seq < before)
    async with ctx.engine.connect() as conn:
        rows = [AuditEntry.model_validate(dict(r._mapping)) for r in await conn.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(entries=rows, next_cursor=rows[-1].seq if more and rows else None)
