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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from supportdesk.api.models import Wire
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
