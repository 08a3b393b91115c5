"""What a simulated agent or lead does at the desk, one request per action.

Agents work their own bench targets (bench/world.py): they search, open
accounts, list factors and tickets, read the delivery log and their own
requests, and change things (resend a text, remove a lost factor, reset MFA,
resolve a ticket). Leads read approvals and the audit log, and approve
requests. Every request goes through the Ledger, so the run can check the
audit log against what was acknowledged afterwards.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.ledger import Attempt, Ledger, Requester
from bench.world import AgentTargets

AGENT_MIX: dict[str, int] = {
    "search_users": 14,
    "open_account": 14,
    "signins": 6,
    "list_factors": 8,
    "list_tickets": 8,
    "read_ticket": 10,
    "deliveries": 4,
    "my_requests": 6,
    "approval_summary": 4,
    "resend_sms": 8,
    "remove_factor": 6,
    "reset_mfa": 6,
    "resolve_ticket": 6,
}
LEAD_MIX: dict[str, int] = {
    "pending_approvals": 20,
    "approve": 20,
    "audit_page": 20,
    "audit_filtered": 12,
    "audit_counts": 6,
    "audit_review": 2,
    "search_users": 10,
    "open_account": 10,
}
RESET_CHECKS = ["account_owner_callback", "last_signin_location"]
REMOVE_CHECKS = ["account_owner_callback"]


class Pool:
    """Round-robin over the serve processes (a load balancer's job when serve has no workers)."""

    def __init__(self, clients: Sequence[Requester]) -> None:
        self._next = itertools.cycle(clients)

    def client(self) -> Requester:
        return next(self._next)


@dataclass
class Desk:
    """One simulated person at a kiosk: a session token and, for agents, their targets."""

    username: str
    token: str
    ledger: Ledger
    pool: Pool
    rng: random.Random
    targets: AgentTargets | None = None
    users: list[str] = field(default_factory=list)  # whom a lead looks up
    agent_names: list[str] = field(default_factory=list)  # whose entries a lead filters by
    lead_index: int = 0
    leads: int = 1
    removable: dict[str, list[str]] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    last_text: dict[str, float] = field(default_factory=dict)
    resolved: int = 0
    exhausted: int = 0

    def __post_init__(self) -> None:
        if self.targets is not None:
            for t in self.targets.removal_users:
                # f1 is the authenticator the user keeps; the old mobiles go one by one.
                self.removable[t.user_id] = [f"{t.user_id}-f{n}" for n in range(2, 7)]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def choose(self) -> str:
        mix = AGENT_MIX if self.targets is not None else LEAD_MIX
        return self.rng.choices(list(mix), weights=list(mix.values()))[0]

    async def act(self, op: str) -> Attempt:
        """Carry out one action; one the targets no longer allow becomes an account read."""
        handler: Callable[[], Awaitable[Attempt | None]] = getattr(self, f"_{op}")
        attempt = await handler()
        if attempt is None:
            self.exhausted += 1
            attempt = await self._open_account()
            assert attempt is not None
        return attempt

    async def _send(self, op: str, method: str, path: str, **kwargs: Any) -> Attempt:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.ledger.send(
            self.pool.client(), op, method, path, headers=headers, **kwargs
        )

    def _user(self) -> str:
        if self.targets is None:
            return self.rng.choice(self.users)
        return self.rng.choice(self.targets.all_users).user_id

    # -- reads --------------------------------------------------------------------------------

    async def _search_users(self) -> Attempt:
        term = self.rng.choice(["bench", "freight", "reset user", "text", self._user(), "0176"])
        return await self._send("search_users", "GET", "/v1/users", params={"q": term, "limit": 20})

    async def _open_account(self) -> Attempt | None:
        return await self._send("open_account", "GET", f"/v1/users/{self._user()}")

    async def _signins(self) -> Attempt:
        return await self._send("signins", "GET", f"/v1/users/{self._user()}/signins")

    async def _list_factors(self) -> Attempt:
        return await self._send("list_factors", "GET", f"/v1/users/{self._user()}/sms")

    async def _list_tickets(self) -> Attempt:
        params = {"status": "open", "limit": 50}
        return await self._send("list_tickets", "GET", "/v1/tickets", params=params)

    async def _read_ticket(self) -> Attempt:
        assert self.targets is not None
        ticket = self.rng.choice(self.targets.all_users + self.targets.resolve_tickets).ticket_id
        return await self._send("read_ticket", "GET", f"/v1/tickets/{ticket}")

    async def _deliveries(self) -> Attempt:
        assert self.targets is not None
        user = self.rng.choice(self.targets.sms_users).user_id
        return await self._send("deliveries", "GET", f"/v1/users/{user}/sms/deliveries")

    async def _my_requests(self) -> Attempt:
        attempt = await self._send("my_requests", "GET", "/v1/approvals", params={"limit": 50})
        if attempt.status == 200:
            self.pending = {a["target_user_id"] for a in attempt.body}
        return attempt

    async def _approval_summary(self) -> Attempt:
        return await self._send("approval_summary", "GET", "/v1/approvals/summary")

    # -- changes ------------------------------------------------------------------------------

    def _idempotent(self) -> dict[str, str]:
        return {"Idempotency-Key": f"key-{self.ledger.new_id('k')}"}

    async def _resend_sms(self) -> Attempt | None:
        assert self.targets is not None
        now = time.monotonic()
        # The desk counts down to the next allowed text; nobody presses resend before.
        free = [
            t for t in self.targets.sms_users if self.last_text.get(t.user_id, -9.0) < now - 1.5
        ]
        if not free:
            return None
        t = self.rng.choice(free)
        self.last_text[t.user_id] = now
        body = {"ticket_id": t.ticket_id}
        return await self._send(
            "resend_sms", "POST", f"/v1/users/{t.user_id}/sms/resend", json=body
        )

    async def _remove_factor(self) -> Attempt | None:
        assert self.targets is not None
        left = [t for t in self.targets.removal_users if self.removable[t.user_id]]
        if not left:
            return None
        t = self.rng.choice(left)
        factor = self.removable[t.user_id].pop(0)
        body = {
            "ticket_id": t.ticket_id,
            "reason": "user lost this phone",
            "checks": REMOVE_CHECKS,
            "factor_id": factor,
        }
        path = f"/v1/recovery/{t.user_id}/remove-factor"
        return await self._send(
            "remove_factor", "POST", path, json=body, headers=self._idempotent()
        )

    async def _reset_mfa(self) -> Attempt | None:
        assert self.targets is not None
        free = [t for t in self.targets.reset_users if t.user_id not in self.pending]
        if not free:
            return None
        t = self.rng.choice(free)
        body = {"ticket_id": t.ticket_id, "reason": "lost every factor", "checks": RESET_CHECKS}
        attempt = await self._send(
            "reset_mfa",
            "POST",
            f"/v1/recovery/{t.user_id}/reset",
            json=body,
            headers=self._idempotent(),
        )
        if attempt.status in (202, 409):  # filed for a lead, or one is already waiting
            self.pending.add(t.user_id)
        return attempt

    async def _resolve_ticket(self) -> Attempt | None:
        assert self.targets is not None
        if self.resolved >= len(self.targets.resolve_tickets):
            return None
        ticket = self.targets.resolve_tickets[self.resolved].ticket_id
        self.resolved += 1
        body = {"outcome": "explained", "note": "answered the question on the phone"}
        return await self._send(
            "resolve_ticket", "POST", f"/v1/tickets/{ticket}/resolve", json=body
        )

    # -- leads --------------------------------------------------------------------------------

    async def _pending_approvals(self) -> Attempt:
        params = {"status": "pending", "limit": 50}
        return await self._send("pending_approvals", "GET", "/v1/approvals", params=params)

    async def _approve(self) -> Attempt | None:
        listing = await self._pending_approvals()
        mine = [
            a["id"]
            for a in (listing.body if listing.status == 200 else [])
            if a["id"] % self.leads == self.lead_index  # leads split the queue, as a rota would
        ]
        if not mine:
            return listing
        path = f"/v1/approvals/{mine[0]}/approve"
        return await self._send(
            "approve", "POST", path, json={"note": "checked"}, headers=self._idempotent()
        )

    async def _audit_page(self) -> Attempt:
        return await self._send("audit_page", "GET", "/v1/audit", params={"limit": 50})

    async def _audit_filtered(self) -> Attempt:
        params = {"agent": self.rng.choice(self.agent_names), "limit": 50}
        return await self._send("audit_filtered", "GET", "/v1/audit", params=params)

    async def _audit_counts(self) -> Attempt:
        return await self._send("audit_counts", "GET", "/v1/audit/counts")

    async def _audit_review(self) -> Attempt:
        return await self._send("audit_review", "GET", "/v1/audit/review")
