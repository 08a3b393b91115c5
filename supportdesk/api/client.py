"""The async client for the auth API: the desk's only way to the service.

One class, assembled from one part per area of the API, so each branch of
the troubleshooting tree keeps its calls and wire models in its own module.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from supportdesk.api.audit_calls import AuditCalls
from supportdesk.api.backend import SignOutReason
from supportdesk.api.base import ClientBase, parse, seg
from supportdesk.api.models import (
    AddReply,
    Agent,
    AgentSession,
    AgentSignIn,
    AuditPage,
    BranchCorrectionRecord,
    Capabilities,
    CorrectBranch,
    EndUserMethod,
    EndUserMfa,
    EndUserMfaResult,
    EndUserSignIn,
    EndUserSignInResult,
    Health,
    ResolveTicket,
    SignInEvent,
    Ticket,
    TicketMessage,
    UserProfile,
    UserSummary,
)
from supportdesk.api.recovery import RecoveryCalls
from supportdesk.api.risk import RiskCalls
from supportdesk.api.sms import SmsCalls
from supportdesk.api.token_fixes import TokenFixCalls
from supportdesk.api.totp import TotpCalls


def new_key() -> str:
    """An idempotency key for one reply, made before the first attempt."""
    return f"reply-{uuid.uuid4().hex}"


class CoreCalls(ClientBase):
    """Sessions, users, tickets, the audit log and end-user sign-in."""

    # -- meta ---------------------------------------------------------------

    async def health(self) -> Health:
        return await self._get("/v1/health", Health)

    async def ready(self) -> Health:
        """Health plus the service's database; StoreUnavailable while it does not answer."""
        return await self._get("/v1/ready", Health)

    async def capabilities(self) -> Capabilities:
        return await self._get("/v1/capabilities", Capabilities)

    # -- agent sessions -------------------------------------------------------

    async def sign_in(self, username: str, password: str, code: str) -> AgentSession:
        """The code goes as typed (normalised by the service: spaces, dashes, full-width
        digits); the desk checks its shape first so a typo costs no attempt."""
        body = AgentSignIn(username=username, password=password, code=code.strip())
        session = parse(AgentSession, await self._send("POST", "/v1/agent/sessions", json=body))
        self.token = session.token
        return session

    async def sign_out(self, reason: SignOutReason = "sign_out") -> None:
        """End the session on the server (audited there, with the reason); the token is
        dropped here whatever the answer, so a desk that cannot reach the service holds
        none."""
        if self.token is None:
            return
        try:
            params = {"reason": reason} if reason != "sign_out" else None
            await self._send("DELETE", "/v1/agent/sessions/current", params=params)
        finally:
            self.token = None

    async def me(self) -> Agent:
        return await self._get("/v1/agent/me", Agent)

    # -- users and tickets ----------------------------------------------------

    async def search_users(self, query: str, limit: int = 50) -> list[UserSummary]:
        return await self._get("/v1/users", list[UserSummary], q=query, limit=limit)

    async def get_user(self, user_id: str) -> UserProfile:
        return await self._get(f"/v1/users/{seg(user_id)}", UserProfile)

    async def user_signins(self, user_id: str, limit: int = 50) -> list[SignInEvent]:
        return await self._get(f"/v1/users/{seg(user_id)}/signins", list[SignInEvent], limit=limit)

    async def list_tickets(self, status: str = "open", user_id: str | None = None) -> list[Ticket]:
        return await self._get("/v1/tickets", list[Ticket], status=status, user_id=user_id)

    async def get_ticket(self, ticket_id: str) -> Ticket:
        return await self._get(f"/v1/tickets/{seg(ticket_id)}", Ticket)

    async def resolve_ticket(
        self,
        ticket_id: str,
        outcome: str,
        note: str,
        *,
        reply: str | None = None,
        reply_key: str | None = None,
    ) -> Ticket:
        """With a reply, the service stores it with the resolution (one transaction);
        the key makes a retried request store it once."""
        key = (reply_key or new_key()) if reply else None
        body = ResolveTicket(outcome=outcome, note=note, reply=reply or None, reply_key=key)
        response = await self._send("POST", f"/v1/tickets/{seg(ticket_id)}/resolve", json=body)
        return parse(Ticket, response)

    async def ticket_messages(self, ticket_id: str) -> list[TicketMessage]:
        """The ticket's conversation (mail or messenger), oldest first."""
        return await self._get(f"/v1/tickets/{seg(ticket_id)}/messages", list[TicketMessage])

    async def add_reply(
        self, ticket_id: str, body: str, *, idempotency_key: str | None = None
    ) -> Ticket:
        """A reply along the way; safe to retry (one key per reply)."""
        payload = AddReply(body=body, idempotency_key=idempotency_key or new_key())
        response = await self._send(
            "POST",
            f"/v1/tickets/{seg(ticket_id)}/replies",
            json=payload,
            idempotency_key=payload.idempotency_key,
        )
        return parse(Ticket, response)

    async def correct_branch(self, ticket_id: str, branch: str) -> Ticket:
        body = CorrectBranch(branch=branch)
        response = await self._send("POST", f"/v1/tickets/{seg(ticket_id)}/branch", json=body)
        return parse(Ticket, response)

    async def branch_corrections(
        self, *, since: datetime | None = None, limit: int = 1000
    ) -> list[BranchCorrectionRecord]:
        """Team leads: every correction with its ticket's words (training data)."""
        return await self._get(
            "/v1/tickets/corrections",
            list[BranchCorrectionRecord],
            since=since.isoformat() if since else None,
            limit=limit,
        )

    # -- audit ------------------------------------------------------------------

    async def audit_page(
        self,
        *,
        agent: str | None = None,
        user: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        ticket: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> AuditPage:
        return await self._get(
            "/v1/audit",
            AuditPage,
            agent=agent,
            user=user,
            action=action,
            outcome=outcome,
            ticket=ticket,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            before=before,
            limit=limit,
        )

    # -- end-user sign-in (how tests prove a fix took effect) -----------------------

    async def enduser_sign_in(self, email: str, password: str) -> EndUserSignInResult:
        body = EndUserSignIn(email=email, password=password)
        return parse(EndUserSignInResult, await self._send("POST", "/v1/enduser/signin", json=body))

    async def enduser_verify(
        self, challenge_id: str, method: EndUserMethod, code: str
    ) -> EndUserMfaResult:
        body = EndUserMfa(challenge_id=challenge_id, method=method, code=code)
        response = await self._send("POST", "/v1/enduser/signin/verify", json=body)
        return parse(EndUserMfaResult, response)


class SupportDeskClient(
    AuditCalls, SmsCalls, RecoveryCalls, TotpCalls, TokenFixCalls, RiskCalls, CoreCalls
):
    """Every call the desk can make."""
