"""A write load over HTTP against `supportdesk serve`, and what the store must show after it.

Several agents change their own bench targets at once (remove a factor, reset
MFA, resolve a ticket, resend a text), every request with its own request id;
afterwards a lead reads the users, tickets, deliveries, approvals and the audit
log back over the API, and `store_problems` lists every change without its
entry, entry without its change, and acknowledged write that is not there.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.ledger import Attempt, Ledger
from bench.serving import CodeBook, bearer, sign_in_body
from bench.world import AgentTargets, BenchWorld, Target, bench_world

SERVE_ENV = {
    # One hash per sign-in at a cheaper cost; texts limited per second, not per hour,
    # so resends go through (a refusal would still be audited and checked).
    "SUPPORTDESK_SERVICE_ARGON2_TIME_COST": "1",
    "SUPPORTDESK_SERVICE_ARGON2_MEMORY_KIB": "8192",
    "SUPPORTDESK_SERVICE_SMS_MIN_INTERVAL_S": "1",
    "SUPPORTDESK_SERVICE_SMS_PER_HOUR": "100000",
}
RESET_CHECKS = ["account_owner_callback", "last_signin_location"]
REMOVE_CHECKS = ["account_owner_callback"]
REMOVABLE = 4


def small_world(agents: int) -> BenchWorld:
    return bench_world(
        agents,
        1,
        reset_users=3,
        removal_users=3,
        removable_factors=REMOVABLE,
        sms_users=3,
        resolve_tickets=12,
    )


async def sign_in(
    http: httpx.AsyncClient, ledger: Ledger, book: CodeBook, username: str
) -> dict[str, str]:
    attempt = await ledger.send(
        http,
        "sign_in",
        "POST",
        "/v1/agent/sessions",
        json=sign_in_body(username, book.code(username)),
    )
    assert attempt.status == 201, (username, attempt.status, attempt.body)
    return bearer(attempt.body["token"])


@dataclass
class AgentWork:
    """One agent's next write, in turn: remove, resend, reset, resolve."""

    plan: AgentTargets
    turn: int = 0
    removable: dict[str, list[str]] = field(default_factory=dict)
    reset_done: set[str] = field(default_factory=set)
    resolved: int = 0

    def __post_init__(self) -> None:
        for t in self.plan.removal_users:
            self.removable[t.user_id] = [f"{t.user_id}-f{n}" for n in range(2, REMOVABLE + 2)]

    def next_write(self) -> tuple[str, str, dict[str, Any], dict[str, str]]:
        """(op, path, body, context) of the next change to ask for."""
        for _ in range(4):
            self.turn += 1
            kind = self.turn % 4
            if kind == 0:
                for t in self.plan.removal_users:
                    if self.removable[t.user_id]:
                        factor = self.removable[t.user_id].pop(0)
                        return (
                            "remove_factor",
                            f"/v1/recovery/{t.user_id}/remove-factor",
                            {
                                **_paperwork(t, "lost phone"),
                                "factor_id": factor,
                                "checks": REMOVE_CHECKS,
                            },
                            {"user": t.user_id, "factor": factor},
                        )
            elif kind == 1:
                t = self.plan.sms_users[self.turn % len(self.plan.sms_users)]
                return (
                    "resend_sms",
                    f"/v1/users/{t.user_id}/sms/resend",
                    {"ticket_id": t.ticket_id},
                    {"user": t.user_id},
                )
            elif kind == 2:
                for t in self.plan.reset_users:
                    if t.user_id not in self.reset_done:
                        self.reset_done.add(t.user_id)  # the next one would be filed (202)
                        return (
                            "reset_mfa",
                            f"/v1/recovery/{t.user_id}/reset",
                            {**_paperwork(t, "lost every factor"), "checks": RESET_CHECKS},
                            {"user": t.user_id},
                        )
            elif self.resolved < len(self.plan.resolve_tickets):
                t = self.plan.resolve_tickets[self.resolved]
                self.resolved += 1
                return (
                    "resolve_ticket",
                    f"/v1/tickets/{t.ticket_id}/resolve",
                    {"outcome": "explained", "note": "answered on the phone"},
                    {"ticket": t.ticket_id},
                )
        raise LookupError(f"{self.plan.username} has nothing left to change")


def _paperwork(target: Target, reason: str) -> dict[str, Any]:
    return {"ticket_id": target.ticket_id, "reason": reason}


@dataclass(frozen=True)
class LostWrite:
    """A write whose answer never came (the server died): what a client would retry."""

    rid: str
    op: str
    path: str
    body: dict[str, Any]
    key: str
    context: dict[str, str]


async def write_until(
    http: httpx.AsyncClient,
    ledger: Ledger,
    work: AgentWork,
    token: Mapping[str, str],
    keep_going: Callable[[], bool],
    on_ack: Callable[[Attempt], Awaitable[None]],
    lost: list[LostWrite] | None = None,
) -> None:
    """Send this agent's writes one after another until told to stop or the server is gone;
    a write cut off by the server's death goes into `lost`."""
    while keep_going():
        try:
            op, path, body, context = work.next_write()
        except LookupError:
            return
        key = f"key-{ledger.new_id('k')}"
        headers = {**token, "Idempotency-Key": key}
        rid = ledger.new_id(op)
        try:
            attempt = await ledger.send(
                http, op, "POST", path, json=body, headers=headers, context=context, rid=rid
            )
        except httpx.TransportError:
            if lost is not None:
                lost.append(LostWrite(rid, op, path, body, key, context))
            return
        if attempt.acknowledged:
            await on_ack(attempt)


def _detail(entry: Mapping[str, Any]) -> dict[str, Any]:
    detail = entry.get("detail")
    if isinstance(detail, str):
        return dict(json.loads(detail)) if detail else {}
    return dict(detail or {})


async def store_problems(
    http: httpx.AsyncClient,
    lead: Mapping[str, str],
    bench: BenchWorld,
    ledger: Ledger,
    entries: list[dict[str, Any]],
) -> list[str]:
    """Changes and entries that do not match one to one, read back over the API."""
    problems: list[str] = []
    ok = [e for e in entries if e["outcome"] in ("success", "queued", "pending_approval")]

    def entries_of(action: str, outcome: str) -> list[dict[str, Any]]:
        return [e for e in ok if e["action"] == action and e["outcome"] == outcome]

    async def get(path: str, **params: Any) -> Any:
        response = await http.get(path, params=params, headers=lead)
        response.raise_for_status()
        return response.json()

    removed_logged = Counter(
        _detail(e)["factor_id"] for e in entries_of("factor.remove", "success")
    )
    resets_logged = Counter(e["target_user"] for e in entries_of("mfa.reset", "success"))
    resolved_logged = Counter(e["ticket_id"] for e in entries_of("ticket.resolve", "success"))
    sent_logged = Counter(_detail(e)["delivery_id"] for e in entries_of("sms.resend", "queued"))
    filed_logged = Counter(
        _detail(e)["approval_id"]
        for action in ("mfa.reset", "factor.remove")
        for e in entries_of(action, "pending_approval")
    )
    active: dict[str, set[str]] = {}
    reset_at: dict[str, Any] = {}
    deliveries: set[int] = set()
    resolved: set[str] = set()
    for plan in bench.agents:
        for t in plan.all_users:
            profile = await get(f"/v1/users/{t.user_id}")
            active[t.user_id] = {f["id"] for f in profile["factors"]}
            reset_at[t.user_id] = profile["last_mfa_reset_at"]
        for t in plan.sms_users:
            found = await get(f"/v1/users/{t.user_id}/sms/deliveries", limit=200)
            deliveries |= {d["id"] for d in found}
        for t in plan.resolve_tickets:
            if (await get(f"/v1/tickets/{t.ticket_id}"))["status"] == "resolved":
                resolved.add(t.ticket_id)
        for t in plan.removal_users:
            gone = {f"{t.user_id}-f{n}" for n in range(2, REMOVABLE + 2)} - active[t.user_id]
            for factor in gone:
                if removed_logged[factor] != 1:
                    problems.append(f"{factor} removed with {removed_logged[factor]} entries")
        for t in plan.reset_users:
            was_reset = reset_at[t.user_id] is not None
            if resets_logged[t.user_id] != (1 if was_reset else 0):
                problems.append(
                    f"{t.user_id} reset={was_reset} with {resets_logged[t.user_id]} reset entries"
                )
    listed = await get("/v1/approvals", status="all", limit=500)
    approvals = {a["id"] for a in listed}
    targets = {t.user_id for plan in bench.agents for t in plan.all_users}
    for approval in listed:  # filed during the run (bench targets have none before it)
        if approval["target_user_id"] in targets and filed_logged[approval["id"]] != 1:
            problems.append(
                f"approval #{approval['id']} is in the store with "
                f"{filed_logged[approval['id']]} filing entries"
            )
    for factor, n in removed_logged.items():
        user = factor.rsplit("-", 1)[0]
        if n != 1 or factor in active.get(user, set()):
            problems.append(f"entry says {factor} was removed ({n}x) but it is still there")
    for ticket in set(resolved_logged) | resolved:
        if resolved_logged[ticket] != 1 or ticket not in resolved:
            problems.append(
                f"{ticket}: resolved={ticket in resolved}, {resolved_logged[ticket]} entries"
            )
    for delivery in set(sent_logged) | deliveries:
        if sent_logged[delivery] != 1 or delivery not in deliveries:
            problems.append(f"delivery {delivery}: {sent_logged[delivery]} entries")
    for approval in filed_logged:
        if filed_logged[approval] != 1 or approval not in approvals:
            problems.append(f"approval #{approval}: {filed_logged[approval]} entries")
    for attempt in ledger.acknowledged():
        problems += _missing(attempt, active, reset_at, resolved, deliveries, approvals)
    return problems


def _missing(
    attempt: Attempt,
    active: Mapping[str, set[str]],
    reset_at: Mapping[str, Any],
    resolved: set[str],
    deliveries: set[int],
    approvals: set[int],
) -> list[str]:
    """An acknowledged write whose change cannot be found."""
    c, op, body = attempt.context, attempt.op, attempt.body or {}
    lost = False
    if op == "remove_factor" and attempt.status == 200:
        lost = c["factor"] in active[c["user"]]
    elif op == "reset_mfa" and attempt.status == 200:
        lost = reset_at[c["user"]] is None
    elif op in ("reset_mfa", "remove_factor") and attempt.status == 202:
        lost = body["approval"]["id"] not in approvals
    elif op == "resolve_ticket":
        lost = c["ticket"] not in resolved
    elif op == "resend_sms":
        lost = body["delivery"]["id"] not in deliveries
    return [f"acknowledged {op} {attempt.rid} ({c}) is not in the store"] if lost else []
