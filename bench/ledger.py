"""What a client sent and was told, checked against the audit log it reads back over the API.

Every request carries its own X-Request-ID, which the service writes into each
audit entry the request causes. After a run, the entries above the starting
head are matched to the requests: an acknowledged change (2xx) must have its
entry exactly once, no request may have two, and no entry may belong to a
request nobody sent. The chain is verified through the lead's verify endpoint.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.load_http import RawHttp

WRITES: Mapping[str, str] = {
    "sign_in": "agent.signin",
    "resolve_ticket": "ticket.resolve",
    "remove_factor": "factor.remove",
    "reset_mfa": "mfa.reset",
    "resend_sms": "sms.resend",
    "approve": "approval.approve",
}
"""Each state-changing operation and the audit action that records it."""

ACKED_OUTCOME: Mapping[tuple[str, int], str] = {
    ("sign_in", 201): "success",
    ("resolve_ticket", 200): "success",
    ("remove_factor", 200): "success",
    ("remove_factor", 202): "pending_approval",
    ("reset_mfa", 200): "success",
    ("reset_mfa", 202): "pending_approval",
    ("resend_sms", 200): "queued",
    ("approve", 200): "approved",
}
"""The outcome the entry of an acknowledged change carries."""

ALSO_WRITES: Mapping[str, frozenset[str]] = {
    "resend_sms": frozenset({"sms.send_failed"}),  # the carrier refused after the commit
    "approve": frozenset({"factor.remove", "mfa.reset", "access_code.issue", "totp.reenrol"}),
    "audit_export": frozenset({"audit.export"}),
    "sign_out": frozenset({"agent.signout"}),
}
"""Entries an operation may write besides its own (an approval records the action too)."""


Requester = httpx.AsyncClient | RawHttp
"""What sends a run's requests: httpx, or the load generator's lighter client."""


@dataclass
class Attempt:
    rid: str
    op: str
    status: int | None = None  # None: no answer (connection lost, server killed)
    body: Any = None
    elapsed_s: float = 0.0
    context: dict[str, str] = field(default_factory=dict)
    at_s: float = 0.0  # when it was sent, from the start of its phase

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Ledger:
    """Every request sent, by request id."""

    attempts: dict[str, Attempt] = field(default_factory=dict)
    prefix: str = "rq"
    _n: int = 0

    def new_id(self, op: str) -> str:
        self._n += 1
        return f"{self.prefix}-{op}-{self._n}"

    async def send(
        self,
        http: Requester,
        op: str,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        context: Mapping[str, str] | None = None,
        rid: str | None = None,
        **kwargs: Any,
    ) -> Attempt:
        """One request, recorded before it is sent (so a lost answer is still an attempt).

        `rid` is the request id to send (default: a new one); a retry of a request whose
        answer was lost sends that request's id again, and its record is replaced.
        """
        rid = rid or self.new_id(op)
        attempt = Attempt(rid, op, context=dict(context or {}))
        self.attempts[rid] = attempt
        started = time.perf_counter()
        try:
            response = await http.request(
                method, path, headers={**(headers or {}), "X-Request-ID": rid}, **kwargs
            )
        finally:
            attempt.elapsed_s = time.perf_counter() - started
        attempt.status = response.status_code
        if response.headers.get("content-type", "").startswith("application/json"):
            attempt.body = response.json()
        return attempt

    def acknowledged(self, op: str | None = None) -> list[Attempt]:
        return [a for a in self.attempts.values() if a.acknowledged and (op is None or a.op == op)]


def exactly_once_problems(ledger: Ledger, entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """Where the log and the requests disagree (empty when every change is recorded once)."""
    problems: list[str] = []
    by_request: dict[str, Counter[tuple[str, str]]] = {}
    for entry in entries:
        rid = entry.get("request_id")
        attempt = ledger.attempts.get(rid or "")
        if attempt is None:
            problems.append(f"entry #{entry['seq']} ({entry['action']}) has no request: {rid!r}")
            continue
        allowed = {WRITES.get(attempt.op, ""), *ALSO_WRITES.get(attempt.op, ())}
        if entry["action"] not in allowed:
            problems.append(
                f"entry #{entry['seq']} {entry['action']} from {attempt.op} request {rid}"
            )
        by_request.setdefault(rid or "", Counter())[(entry["action"], entry["outcome"])] += 1
    for rid, attempt in ledger.attempts.items():
        action = WRITES.get(attempt.op)
        if action is None:
            continue
        found = by_request.get(rid, Counter())
        own = sum(n for (act, _), n in found.items() if act == action)
        if own > 1:
            problems.append(f"{attempt.op} {rid} has {own} {action} entries")
        if attempt.acknowledged:
            want = ACKED_OUTCOME.get((attempt.op, attempt.status or 0))
            if want is not None and found[(action, want)] != 1:
                problems.append(
                    f"{attempt.op} {rid} answered {attempt.status} but has "
                    f"{found[(action, want)]} {action}/{want} entries ({dict(found)})"
                )
    return problems


async def read_entries_after(
    http: httpx.AsyncClient, lead: Mapping[str, str], after_seq: int
) -> list[dict[str, Any]]:
    """Every entry above `after_seq`, oldest first (an export resumed after a seq is not
    itself audited, so reading changes nothing)."""
    response = await http.get(
        "/v1/audit/export", params={"format": "jsonl", "after": after_seq}, headers=lead
    )
    response.raise_for_status()
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


async def head_seq(http: httpx.AsyncClient, lead: Mapping[str, str]) -> int:
    response = await http.get("/v1/audit", params={"limit": 1}, headers=lead)
    response.raise_for_status()
    entries = response.json()["entries"]
    return int(entries[0]["seq"]) if entries else 0


async def verify_chain(http: httpx.AsyncClient, lead: Mapping[str, str]) -> tuple[bool, str]:
    """Walk the whole chain through the verify endpoint: (intact, the service's summary)."""
    params: dict[str, Any] = {"max_entries": 100_000}
    while True:
        response = await http.get("/v1/audit/verify", params=params, headers=lead, timeout=120)
        response.raise_for_status()
        step = response.json()
        if step["first_break"] is not None or step["done"]:
            return step["first_break"] is None, str(step["summary"])
        params.update(after_seq=step["last_seq"], after_hash=step["last_hash"])
