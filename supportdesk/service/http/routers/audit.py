"""The audit log, read by team leads: never the whole table at once (see `ops.audit_log`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from supportdesk.api.audit import (
    CHUNK_LAST_HEADER,
    CHUNK_ROWS_HEADER,
    FIRST_SEQ_HEADER,
    HEAD_SEQ_HEADER,
    MEDIA_TYPES,
    REVIEW_PAGE,
    REVIEW_PAGE_MAX,
    AuditCounts,
    AuditFilter,
    AuditReceipt,
    ExportFormat,
    ProviderAudit,
    ReceiptCheck,
    ReviewQueue,
    VerifyStep,
    render,
)
from supportdesk.api.models import AuditPage
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import InvalidInput
from supportdesk.service.http.deps import Ctx, CurrentLead, RequestId
from supportdesk.service.http.params import MAX_ID, SEQ_LIST, Moment
from supportdesk.service.ops import audit_counts as charts
from supportdesk.service.ops import audit_log, audit_verify, provider_audit
from supportdesk.service.ops import audit_receipts as receipts
from supportdesk.service.store.schema import as_utc

router = APIRouter(prefix="/v1/audit", tags=["audit"])


async def audit_filters(
    agent: Annotated[str | None, Query(max_length=64, description="actor, exact")] = None,
    user: Annotated[str | None, Query(max_length=64, description="target user id")] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=48,
            description="exact ('mfa.reset'), a glob ('mfa.*'), or without a dot any action "
            "containing it ('reset')",
        ),
    ] = None,
    outcome: Annotated[str | None, Query(max_length=24)] = None,
    ticket: Annotated[str | None, Query(max_length=16)] = None,
    since: Annotated[Moment | None, Query(description="from this time on")] = None,
    until: Annotated[Moment | None, Query(description="before this time")] = None,
) -> AuditFilter:
    """The filters every audit read shares; times without a zone are read as UTC."""
    since = as_utc(since) if since is not None else None
    until = as_utc(until) if until is not None else None
    if since is not None and until is not None and until <= since:
        raise InvalidInput("the time range ends before it starts", field="until")
    return AuditFilter(
        agent=agent or None,
        user=user or None,
        action=action or None,
        outcome=outcome or None,
        ticket=ticket or None,
        since=since,
        until=until,
    )


Filters = Annotated[AuditFilter, Depends(audit_filters)]


@router.get("", response_model=AuditPage)
async def read_audit(
    _lead: CurrentLead,
    ctx: Ctx,
    filters: Filters,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="keyset cursor: entries below this seq")
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="only entries above this seq (live updates)")
    ] = None,
    seqs: Annotated[
        str | None,
        Query(max_length=2400, pattern=SEQ_LIST, description="these entries only"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Newest first; `next_cursor` fetches the following (older) page."""
    wanted = [int(s) for s in seqs.split(",")] if seqs is not None else None
    return await audit_log.read_page(
        ctx, filters, before=before, after=after, seqs=wanted, limit=limit
    )


@router.get("/export", response_class=StreamingResponse)
async def export_audit(
    lead: CurrentLead,
    ctx: Ctx,
    rid: RequestId,
    filters: Filters,
    fmt: Annotated[ExportFormat, Query(alias="format")] = "csv",
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="continue after this seq")] = 0,
    max_rows: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="stop after this many (a chunk)")
    ] = None,
    header: Annotated[bool, Query(description="CSV: start with the column names")] = True,
    saved_as: Annotated[
        ExportFormat | None,
        Query(description="the format the desk writes the file in, when not `format`"),
    ] = None,
) -> StreamingResponse:
    """Matching entries oldest first, streamed in batches: memory stays flat at any size.

    Exporting is a sensitive read, so the start of an export (not each
    chunk of it) is itself recorded in the log. A chunk (`max_rows`) says in its
    headers how many entries it holds and the last one's seq.
    """
    first_seq, head_seq = await audit_log.start_export(
        ctx, lead, filters, fmt=fmt, saved_as=saved_as, after=after, request_id=rid
    )
    headers = {
        FIRST_SEQ_HEADER: str(first_seq),
        HEAD_SEQ_HEADER: str(head_seq),
        "Content-Disposition": f'attachment; filename="audit.{fmt}"',
    }
    through = None
    if max_rows is not None:
        rows, through = await audit_log.chunk_bounds(ctx.engine, filters, after, max_rows)
        headers[CHUNK_ROWS_HEADER] = str(rows)
        headers[CHUNK_LAST_HEADER] = str(through)
    return StreamingResponse(
        _lines(ctx, filters, fmt, after=after, max_rows=max_rows, through=through, header=header),
        media_type=MEDIA_TYPES[fmt],
        headers=headers,
    )


async def _lines(
    ctx: ServiceContext,
    filters: AuditFilter,
    fmt: ExportFormat,
    *,
    after: int,
    max_rows: int | None,
    through: int | None,
    header: bool,
) -> AsyncIterator[bytes]:
    """The export's body, a batch at a time."""
    if fmt == "csv" and header:
        yield render("csv", [], header=True).encode("utf-8")
    if through == after:
        return  # an empty chunk
    async for text, _rows, _last in audit_log.iter_export(
        ctx.engine, filters, fmt, after=after, limit=max_rows, through=through
    ):
        yield text.encode("utf-8")


@router.get("/verify", response_model=VerifyStep)
async def verify_audit(
    _lead: CurrentLead,
    ctx: Ctx,
    after_seq: Annotated[int, Query(ge=0, le=MAX_ID, description="resume after this entry")] = 0,
    after_hash: Annotated[
        str | None, Query(pattern=r"^[0-9a-f]{64}$", description="the hash of that entry")
    ] = None,
    max_entries: Annotated[int, Query(ge=1, le=500_000)] = 50_000,
) -> VerifyStep:
    """Check the chain a stretch at a time, so the desk can show progress as it goes."""
    return await audit_verify.verify_stretch(
        ctx.engine, after_seq, after_hash, max_entries=max_entries
    )


@router.get("/receipt", response_model=AuditReceipt)
async def audit_receipt(_lead: CurrentLead, ctx: Ctx) -> AuditReceipt:
    """A receipt of the chain's head, signed with a key kept outside the store: keep it,
    and a later check proves the log still holds that head."""
    return await receipts.issue_receipt(ctx)


@router.post("/receipt/check", response_model=ReceiptCheck)
async def audit_check_receipt(_lead: CurrentLead, ctx: Ctx, receipt: AuditReceipt) -> ReceiptCheck:
    """Whether today's log still holds a receipt's head; if not, how it was cut."""
    return await receipts.check_receipt(ctx, receipt)


@router.get("/counts", response_model=AuditCounts)
async def audit_counts(
    _lead: CurrentLead,
    ctx: Ctx,
    filters: Filters,
    zone: Annotated[str, Query(max_length=64, description="IANA zone the days are in")] = "UTC",
) -> AuditCounts:
    """Actions per agent per day over the range (default: the last 14 days)."""
    return await charts.agent_day_counts(ctx, filters, zone)


@router.get("/review", response_model=ReviewQueue)
async def audit_review(
    _lead: CurrentLead,
    ctx: Ctx,
    since: Moment | None = None,
    until: Moment | None = None,
    zone: Annotated[str, Query(max_length=64, description="IANA zone of working hours")] = "UTC",
    cursor: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^\d+\.\d\.\d+$",
            description="a page's next_cursor: the page after it (same since, until, zone)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=REVIEW_PAGE_MAX)] = REVIEW_PAGE,
) -> ReviewQueue:
    """What deserves a second look over the range (default: the last 30 days)."""
    # Newest first, a page at a time: `next_cursor` with the same range is the next page.
    since = as_utc(since) if since is not None else None
    until = as_utc(until) if until is not None else None
    return await charts.review(
        ctx, since=since, until=until, zone_name=zone, cursor=cursor, limit=limit
    )


@router.get("/provider/{user_id}", response_model=ProviderAudit)
async def audit_provider(
    _lead: CurrentLead,
    ctx: Ctx,
    user_id: Annotated[str, Path(max_length=64)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ProviderAudit:
    """The user's rows in the identity provider's own log, newest first, each with the
    provider's signature check (409 where the provider keeps no log of its own)."""
    return await provider_audit.provider_rows(ctx, user_id, limit)
