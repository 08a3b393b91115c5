"""The async client for the auth API: the desk's only way to the service."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from supportdesk.api import errors
from supportdesk.api.models import (
    Agent,
    AgentSession,
    AgentSignIn,
    AuditPage,
    Capabilities,
    EndUserMfa,
    EndUserMfaResult,
    EndUserSignIn,
    EndUserSignInResult,
    Health,
    ResolveTicket,
    SignInEvent,
    Ticket,
    UserProfile,
    UserSummary,
)

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SAFE_METHODS = frozenset({"GET", "HEAD"})


class SupportDeskClient:
    """Typed calls to the auth service, over a real URL or an in-process ASGI app.

    Reads are retried once after a dropped connection; state-changing calls
    never are, unless they carry an idempotency key the service honours.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        label: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.label = label or base_url
        self.token: str | None = None
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> SupportDeskClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- plumbing ---------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: BaseModel | Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = {"X-Request-ID": uuid.uuid4().hex}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        body = json.model_dump(mode="json") if isinstance(json, BaseModel) else json
        query = {k: v for k, v in (params or {}).items() if v is not None}
        attempts = 2 if method in SAFE_METHODS or idempotency_key else 1
        for attempt in range(attempts):
            try:
                response = await self._http.request(
                    method, path, json=body, params=query, headers=headers
                )
            except httpx.TimeoutException as exc:
                if attempt + 1 < attempts:
                    continue
                raise errors.ServiceUnavailable(
                    f"the auth service at {self.label} did not answer in time"
                ) from exc
            except httpx.TransportError as exc:
                if attempt + 1 < attempts:
                    continue
                raise errors.ServiceUnavailable(
                    f"cannot reach the auth service at {self.label}"
                ) from exc
            _raise_for_status(response)
            return response
        raise AssertionError("unreachable")

    async def _get(self, path: str, model: type[T], **params: Any) -> T:
        return _parse(model, await self._send("GET", path, params=params))

    # -- meta ---------------------------------------------------------------

    async def health(self) -> Health:
        return await self._get("/v1/health", Health)

    async def capabilities(self) -> Capabilities:
        return await self._get("/v1/capabilities", Capabilities)

    # -- agent sessions -------------------------------------------------------

    async def sign_in(self, username: str, password: str, code: str) -> AgentSession:
        body = AgentSignIn(username=username, password=password, code=code.strip())
        session = _parse(AgentSession, await self._send("POST", "/v1/agent/sessions", json=body))
        self.token = session.token
        return session

    async def sign_out(self) -> None:
        if self.token is None:
            return
        try:
            await self._send("DELETE", "/v1/agent/sessions/current")
        finally:
            self.token = None

    async def me(self) -> Agent:
        return await self._get("/v1/agent/me", Agent)

    # -- users and tickets ----------------------------------------------------

    async def search_users(self, query: str, limit: int = 50) -> list[UserSummary]:
        return await self._get("/v1/users", list[UserSummary], q=query, limit=limit)

    async def get_user(self, user_id: str) -> UserProfile:
        return await self._get(f"/v1/users/{_seg(user_id)}", UserProfile)

    async def user_signins(self, user_id: str, limit: int = 50) -> list[SignInEvent]:
        return await self._get(f"/v1/users/{_seg(user_id)}/signins", list[SignInEvent], limit=limit)

    async def list_tickets(self, status: str = "open", user_id: str | None = None) -> list[Ticket]:
        return await self._get("/v1/tickets", list[Ticket], status=status, user_id=user_id)

    async def get_ticket(self, ticket_id: str) -> Ticket:
        return await self._get(f"/v1/tickets/{_seg(ticket_id)}", Ticket)

    async def resolve_ticket(self, ticket_id: str, outcome: str, note: str) -> Ticket:
        body = ResolveTicket(outcome=outcome, note=note)
        response = await self._send("POST", f"/v1/tickets/{_seg(ticket_id)}/resolve", json=body)
        return _parse(Ticket, response)

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
        return _parse(
            EndUserSignInResult, await self._send("POST", "/v1/enduser/signin", json=body)
        )

    async def enduser_verify(self, challenge_id: str, method: str, code: str) -> EndUserMfaResult:
        body = EndUserMfa(challenge_id=challenge_id, method=method, code=code)  # type: ignore[arg-type]
        response = await self._send("POST", "/v1/enduser/signin/verify", json=body)
        return _parse(EndUserMfaResult, response)


def _seg(value: str) -> str:
    """One safe path segment: ids typed by an agent cannot walk the URL."""
    return quote(value, safe="")


def _parse(model: type[T], response: httpx.Response) -> T:
    try:
        return TypeAdapter(model).validate_json(response.content)
    except ValidationError as exc:
        raise errors.ServiceUnavailable(
            "the auth service answered with something this desk does not understand"
        ) from exc


def _error_detail(response: httpx.Response) -> tuple[str, str | None, str | None]:
    try:
        payload = response.json()
        detail = payload["error"]
        return str(detail["message"]), detail.get("code"), detail.get("field")
    except (ValueError, KeyError, TypeError):
        return f"the auth service answered {response.status_code}", None, None


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    message, code, field = _error_detail(response)
    if status == 401:
        raise errors.Unauthorised(message, status=status, code=code)
    if status == 403:
        raise errors.Forbidden(message, status=status, code=code)
    if status == 404:
        raise errors.NotFound(message, status=status, code=code)
    if status == 409:
        raise errors.Conflict(message, status=status, code=code)
    if status in (400, 422):
        raise errors.InvalidInput(message, field=field, status=status)
    if status == 429:
        try:
            retry = int(response.headers.get("Retry-After", "1"))
        except ValueError:
            retry = 1
        raise errors.RateLimited(message, retry_after_s=retry)
    raise errors.ServiceUnavailable(message, status=status, code=code)
