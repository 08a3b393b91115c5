"""The audit log's calls for the desk: read, export, verify, count and review.

Apart from `supportdesk.api.audit` (the filters, the export format and the wire models)
so that the service, which shares those, never loads the HTTP client with them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime

import httpx

from supportdesk.api.audit import (
    CHUNK_LAST_HEADER,
    CHUNK_ROWS_HEADER,
    FIRST_SEQ_HEADER,
    HEAD_SEQ_HEADER,
    REVIEW_PAGE,
    AuditCounts,
    AuditFilter,
    AuditReceipt,
    ExportFormat,
    ProviderAudit,
    ReceiptCheck,
    ReviewItem,
    ReviewQueue,
    VerifyStep,
)
from supportdesk.api.base import ClientBase, _raise_for_status, seg
from supportdesk.api.errors import ServiceUnavailable
from supportdesk.api.models import AuditEntry, AuditPage


class AuditCalls(ClientBase):
    """Reading, exporting and verifying the audit log (team leads only)."""

    async def audit_find(
        self,
        filters: AuditFilter,
        *,
        before: int | None = None,
        after: int | None = None,
        seqs: Iterable[int] | None = None,
        limit: int = 100,
    ) -> AuditPage:
        """A page newest first: below `before`, above `after` (live polling), or by seq."""
        return await self._get(
            "/v1/audit",
            AuditPage,
            **filters.params(),
            before=before,
            after=after,
            seqs=",".join(str(s) for s in seqs) if seqs is not None else None,
            limit=limit,
        )

    async def audit_export(
        self,
        filters: AuditFilter,
        *,
        chunk_rows: int = 5000,
        saved_as: ExportFormat | None = None,
    ) -> AsyncIterator[tuple[AuditEntry, float]]:
        """Every matching entry oldest first, each with how far through the export it is.

        Fetched as a series of streamed chunks, so memory stays flat whether the
        service is across the network or in-process (whose transport buffers a
        whole response).
        """
        after = 0
        first_seq: int | None = None
        head_seq = 0
        while True:
            params: dict[str, str | int] = {**filters.params(), "format": "jsonl"}
            params.update(after=after, max_rows=chunk_rows)
            if saved_as is not None:  # the log records the format of the file written
                params["saved_as"] = saved_as
            got = 0
            async with self._export_chunk(params) as response:
                if first_seq is None:
                    first_seq = int(response.headers.get(FIRST_SEQ_HEADER, "1"))
                    head_seq = int(response.headers.get(HEAD_SEQ_HEADER, "0"))
                span = max(1, head_seq - first_seq + 1)
                # Records end at "\n" only: a note may hold U+2028, which splitlines()
                # (and so httpx's aiter_lines) would take for a line break.
                rest = b""
                async for chunk in response.aiter_bytes():
                    *lines, rest = (rest + chunk).split(b"\n")
                    for line in lines:
                        if not line.strip():
                            continue
                        entry = _export_entry(line)
                        got += 1
                        after = entry.seq
                        yield entry, min(1.0, max(0.0, (entry.seq - first_seq + 1) / span))
                if rest.strip():
                    entry = _export_entry(rest)
                    got += 1
                    after = entry.seq
                    yield entry, min(1.0, max(0.0, (entry.seq - first_seq + 1) / span))
            if got < chunk_rows:
                return

    @asynccontextmanager
    async def _export_chunk(self, params: Mapping[str, str | int]) -> AsyncIterator[httpx.Response]:
        """One export request, streamed: its answer once the status is known good; a
        connection lost on the way is said as a cut-off export."""
        try:
            async with self._http.stream(
                "GET", "/v1/audit/export", params=params, headers=self._headers()
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    _raise_for_status(response)
                yield response
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"the export from {self.label} was cut off: try again"
            ) from exc

    async def audit_export_text(
        self,
        filters: AuditFilter,
        fmt: ExportFormat,
        *,
        chunk_rows: int = 20_000,
        header: bool = True,
    ) -> AsyncIterator[tuple[str, int, float]]:
        """The export file's text as the service spells it, a chunk at a time: (text,
        entries in it, how far through the export it is). CSV starts with its header
        (unless `header` is False).

        Nothing is parsed here: each chunk's headers say how many entries it holds and
        where it ends, and the text is the file's, to be written as it comes.
        """
        after = 0
        first_seq: int | None = None
        head_seq = 0
        while True:
            params: dict[str, str | int] = {**filters.params(), "format": fmt}
            params.update(
                after=after, max_rows=chunk_rows, header="true" if first_seq is None else "false"
            )
            async with self._export_chunk(params) as response:
                if first_seq is None:
                    first_seq = int(response.headers.get(FIRST_SEQ_HEADER, "1"))
                    head_seq = int(response.headers.get(HEAD_SEQ_HEADER, "0"))
                rows = response.headers.get(CHUNK_ROWS_HEADER)
                last = response.headers.get(CHUNK_LAST_HEADER)
                if rows is None or last is None:
                    raise ServiceUnavailable(
                        f"{self.label} does not say how long an export chunk is: "
                        "it is older than this desk"
                    )
                body = await response.aread()
            got, after = int(rows), int(last)
            span = max(1, head_seq - first_seq + 1)
            fraction = min(1.0, max(0.0, (after - first_seq + 1) / span)) if got else 1.0
            if body:
                yield body.decode("utf-8"), got, fraction
            if got < chunk_rows:
                return

    async def audit_verify_step(
        self, after_seq: int = 0, after_hash: str | None = None, *, max_entries: int = 50_000
    ) -> VerifyStep:
        return await self._get(
            "/v1/audit/verify",
            VerifyStep,
            after_seq=after_seq,
            after_hash=after_hash,
            max_entries=max_entries,
        )

    async def audit_verify(self, *, max_entries: int = 50_000) -> AsyncIterator[VerifyStep]:
        """Walk the whole chain a stretch at a time; the last step yielded is the verdict."""
        step = await self.audit_verify_step(max_entries=max_entries)
        yield step
        while not step.done:
            step = await self.audit_verify_step(
                step.last_seq, step.last_hash, max_entries=max_entries
            )
            yield step

    async def audit_counts(self, filters: AuditFilter, zone: str) -> AuditCounts:
        return await self._get("/v1/audit/counts", AuditCounts, **filters.params(), zone=zone)

    async def audit_review(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        zone: str = "UTC",
        cursor: str | None = None,
        limit: int = REVIEW_PAGE,
    ) -> ReviewQueue:
        """A page of the review queue; pass a page's since, until and next_cursor back
        for the next one."""
        return await self._get(
            "/v1/audit/review",
            ReviewQueue,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            zone=zone,
            cursor=cursor,
            limit=limit,
        )

    async def audit_review_all(
        self, *, since: datetime | None = None, until: datetime | None = None, zone: str = "UTC"
    ) -> list[ReviewItem]:
        """Every item of the range, page after page."""
        page = await self.audit_review(since=since, until=until, zone=zone)
        items = list(page.items)
        while page.next_cursor is not None:
            page = await self.audit_review(
                since=page.since, until=page.until, zone=zone, cursor=page.next_cursor
            )
            items.extend(page.items)
        return items

    async def audit_provider(self, user_id: str, *, limit: int = 50) -> ProviderAudit:
        """The user's rows in the identity provider's own log, with its signature check."""
        return await self._get(f"/v1/audit/provider/{seg(user_id)}", ProviderAudit, limit=limit)

    async def audit_receipt(self) -> AuditReceipt:
        """A signed receipt of the chain's head as it is now."""
        return await self._get("/v1/audit/receipt", AuditReceipt)

    async def audit_check_receipt(self, receipt: AuditReceipt) -> ReceiptCheck:
        """Whether the service's log still holds the head a receipt names."""
        return await self._post("/v1/audit/receipt/check", ReceiptCheck, receipt)

    def _headers(self) -> dict[str, str]:
        """What `ClientBase._send` would send; streamed calls cannot go through it."""
        headers = {"X-Request-ID": uuid.uuid4().hex}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


def _export_entry(line: bytes) -> AuditEntry:
    try:
        return AuditEntry.model_validate_json(line)
    except ValueError as exc:
        raise ServiceUnavailable(
            "the auth service sent an export line this desk cannot read"
        ) from exc
