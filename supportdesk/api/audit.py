"""The audit log for team leads: filters, export format, verify, counts and review queue.

The export format lives here, beside the wire models, because it *is* a wire
format: the service streams it, and the client writes the very same bytes
when it saves entries fetched in chunks. An export of the whole log keeps
every hashed field exactly as hashed, so it verifies offline with
`supportdesk.rules.audit_chain.verify_chain`.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Literal

import httpx
from pydantic import Field

from supportdesk.api.base import ClientBase, _raise_for_status, seg
from supportdesk.api.errors import ServiceUnavailable
from supportdesk.api.models import AuditEntry, AuditPage, Wire
from supportdesk.rules.audit_chain import HASHED_FIELDS, canonical_json

ExportFormat = Literal["csv", "jsonl"]
BreakKind = Literal["edited", "missing", "reordered"]
ReviewKind = Literal["reset_spike", "after_hours", "repeat_reset", "new_device_after_reset"]

EXPORT_COLUMNS = (
    "seq",
    "at",
    "actor",
    "actor_role",
    "action",
    "target_user",
    "ticket_id",
    "outcome",
    "reason",
    "verification",
    "detail",
    "request_id",
    "prev_hash",
    "hash",
)
"""Every stored field, seq first so a reader can see where it is in the log."""

MEDIA_TYPES: dict[ExportFormat, str] = {"csv": "text/csv", "jsonl": "application/x-ndjson"}

FIRST_SEQ_HEADER = "X-Audit-First-Seq"
HEAD_SEQ_HEADER = "X-Audit-Head-Seq"
REVIEW_PAGE = 50
"""Review items a page holds unless asked otherwise (the service takes up to REVIEW_PAGE_MAX)."""
REVIEW_PAGE_MAX = 500
"""Where an export's entries lie in the log: the desk draws its progress bar from them."""

CHUNK_ROWS_HEADER = "X-Audit-Chunk-Rows"
CHUNK_LAST_HEADER = "X-Audit-Chunk-Last-Seq"
"""A chunk's size and its last entry (sent when `max_rows` asks for a chunk): the client
carries on after that seq without reading a record, whatever the format."""


def is_reset(action: str) -> bool:
    """Any action with "reset" in its name counts as a reset (mfa.reset, password.reset …)."""
    return "reset" in action


# -- filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What a lead narrowed the log to; empty fields do not filter.

    `action` is exact when it names one ("mfa.reset"), a glob with `*`
    ("mfa.*"), and a substring when it has no dot ("reset" finds every reset).
    """

    agent: str | None = None
    user: str | None = None
    action: str | None = None
    outcome: str | None = None
    ticket: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def params(self) -> dict[str, str]:
        """Query parameters, times as ISO text with their zone."""
        found: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, datetime):
                found[field.name] = value.isoformat()
            elif value:
                found[field.name] = str(value)
        return found

    @property
    def is_empty(self) -> bool:
        return not self.params()


# -- export format ------------------------------------------------------------------------


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def jsonl_line(entry: Mapping[str, Any]) -> str:
    """One entry as a JSON Lines record: its canonical text (the hashed fields, sorted,
    compact) with its hash added last. The service spells the very same line in SQL."""
    body = canonical_json({name: _text(entry[name]) for name in HASHED_FIELDS})
    return f'{body[:-1]},"hash":{canonical_json(entry["hash"])}}}\n'


def jsonl_lines(entries: Iterable[Mapping[str, Any]]) -> str:
    """One JSON object per line, times as hashed (ISO)."""
    return "".join(jsonl_line(entry) for entry in entries)


def csv_lines(entries: Iterable[Mapping[str, Any]], *, header: bool = False) -> str:
    """RFC 4180 rows (quoted where needed, so a note with a newline stays one record)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        writer.writerow(["" if entry[n] is None else _text(entry[n]) for n in EXPORT_COLUMNS])
    return out.getvalue()


def render(fmt: ExportFormat, entries: Iterable[Mapping[str, Any]], *, header: bool) -> str:
    """A batch of entries in the export format (the CSV header only when asked)."""
    if fmt == "csv":
        return csv_lines(entries, header=header)
    return jsonl_lines(entries)


# -- wire models -----------------------------------------------------------------------------


class ChainBreakOut(Wire):
    """The first entry where the chain stops being trustworthy, and how."""

    seq: int
    kind: BreakKind
    explanation: str


class VerifyStep(Wire):
    """One stretch of a verification: resume after (`last_seq`, `last_hash`) until done."""

    checked: int
    last_seq: int
    last_hash: str
    head_seq: int
    done: bool
    first_break: ChainBreakOut | None
    summary: str

    @property
    def intact(self) -> bool:
        return self.first_break is None


ReceiptVerdict = Literal["holds", "truncated", "emptied", "head_missing", "rewritten", "forged"]


class AuditReceipt(Wire):
    """The chain's head at a moment, signed by the service's key (Ed25519).

    Kept outside the service (beside an export, on the lead's desk), it later proves
    the log still holds that head: cutting the newest entries cannot be hidden.
    """

    kind: Literal["supportdesk-audit-receipt"] = "supportdesk-audit-receipt"
    seq: int = Field(ge=0, le=2**63 - 1)
    head_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    at: str = Field(max_length=64, description="when it was signed (ISO 8601)")
    key_id: str = Field(max_length=64, description="fingerprint of the signing key")
    public_key: str = Field(max_length=128, description="the Ed25519 public key, base64")
    signature: str = Field(max_length=256, description="over kind, seq, head_hash and at")


class ReceiptCheck(Wire):
    """Whether today's log still holds a receipt's head, and if not, how it was cut."""

    verdict: ReceiptVerdict
    holds: bool
    explanation: str
    summary: str


class AgentDayCount(Wire):
    day: date
    agent: str
    total: int
    resets: int


class AuditCounts(Wire):
    """Actions per agent per local day over a range (the lead's zone decides the days)."""

    zone: str
    days: list[date]
    agents: list[str]
    cells: list[AgentDayCount]


class ReviewItem(Wire):
    """Something that deserves a lead's second look, with the entries that show it."""

    kind: ReviewKind
    title: str
    detail: str
    agent: str | None
    user: str | None
    at: datetime
    seqs: list[int]


class ReviewQueue(Wire):
    """One page of the queue, newest first; `next_cursor` (asked for with the same
    since, until and zone) fetches the next, None on the last page."""

    since: datetime
    until: datetime
    zone: str
    items: list[ReviewItem]
    next_cursor: str | None = None


class ProviderAuditRow(Wire):
    """One row of the identity provider's own log (privacyIDEA's audit)."""

    number: int | None
    at: datetime
    action: str
    serial: str | None
    success: bool
    info: str
    signature_ok: bool | None
    """The provider's own check of the row's signature; None where it signs none."""


class ProviderAudit(Wire):
    """A user's rows in the provider's log, newest first, to cross-check with ours."""

    provider: str
    user_id: str
    rows: list[ProviderAuditRow]


# -- calls ---------------------------------------------------------------------------------------


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
