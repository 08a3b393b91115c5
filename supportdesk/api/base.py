"""The client's plumbing: one place that sends, retries reads, and maps failures."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from supportdesk.api import errors

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SAFE_METHODS = frozenset({"GET", "HEAD"})
RETRY_STATUSES = frozenset({502, 503, 504})
"""Answers that say "not now" rather than "no": a proxy without a back end, a database
outage (503 with Retry-After), a gateway timeout."""


@dataclass(frozen=True)
class RetryPolicy:
    """How a retry-safe call tries again: `attempts` in all, waiting base·2ⁿ (with jitter)
    between them, never more than `cap_s`. A Retry-After is never cut short: one longer
    than `cap_s` ends the retries (the desk shows the outage, a banner for a database
    outage, instead of hanging on one call)."""

    attempts: int = 3
    base_s: float = 0.2
    cap_s: float = 1.0

    def delay_s(self, attempt: int, retry_after: int | None = None) -> float | None:
        """The wait before try `attempt + 1`; None when the service asks for longer than we
        would wait."""
        if retry_after is not None:
            return float(retry_after) if retry_after <= self.cap_s else None
        backoff: float = min(self.cap_s, self.base_s * 2.0 ** (attempt - 1))
        return backoff * random.uniform(0.5, 1.0)  # jitter, not a secret


class ClientBase:
    """Typed calls to the auth service, over a real URL or an in-process ASGI app.

    Reads are retried after a dropped connection or a "not now" answer (`RetryPolicy`);
    state-changing calls never are, unless they carry an idempotency key the service
    honours. `sleep` is the wait between tries (a test may record instead of waiting).
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        label: str | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.label = label or base_url
        self.token: str | None = None
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)

    @property
    def signed_in(self) -> bool:
        return self.token is not None

    def forget_session(self) -> None:
        self.token = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
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
        """One call, retried only when a second try cannot do a change twice: reads, and
        writes that carry an idempotency key (the service answers a repeat with the first
        answer). A dropped connection or a 502/503/504 is retried with backoff, a timeout
        once (each already cost the whole timeout)."""
        headers = {"X-Request-ID": uuid.uuid4().hex}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        body = json.model_dump(mode="json") if isinstance(json, BaseModel) else json
        query = {k: v for k, v in (params or {}).items() if v is not None}
        retry_safe = method in SAFE_METHODS or idempotency_key is not None
        attempts = self.retry.attempts if retry_safe else 1
        for attempt in range(1, attempts + 1):
            try:
                response = await self._http.request(
                    method, path, json=body, params=query, headers=headers
                )
            except httpx.TransportError as exc:
                timed_out = isinstance(exc, httpx.TimeoutException)
                # A timeout already cost the whole timeout: one more try, not two.
                if attempt < (min(attempts, 2) if timed_out else attempts):
                    await self._sleep(self.retry.delay_s(attempt) or 0.0)
                    continue
                if timed_out:
                    raise errors.ServiceUnavailable(
                        f"the auth service at {self.label} did not answer in time"
                    ) from exc
                raise errors.ServiceUnavailable(
                    f"cannot reach the auth service at {self.label}"
                ) from exc
            if attempt < attempts and response.status_code in RETRY_STATUSES:
                delay = self.retry.delay_s(attempt, retry_after_s(response))
                if delay is not None:
                    await self._sleep(delay)
                    continue
            _raise_for_status(response)
            return response
        raise AssertionError("the last attempt returns or raises")

    async def _get(self, path: str, model: type[T], **params: Any) -> T:
        return parse(model, await self._send("GET", path, params=params))

    async def _post(
        self,
        path: str,
        model: type[T],
        body: BaseModel | Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> T:
        response = await self._send("POST", path, json=body, idempotency_key=idempotency_key)
        return parse(model, response)


def seg(value: str) -> str:
    """One safe path segment: ids typed by an agent cannot walk the URL."""
    return quote(value, safe="")


def parse(model: type[T], response: httpx.Response) -> T:
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
        raise errors.RateLimited(message, retry_after_s=retry_after_s(response) or 1)
    if status == 503 and code == "store_unavailable":
        raise errors.StoreUnavailable(message, retry_after_s=retry_after_s(response) or 1)
    raise errors.ServiceUnavailable(message, status=status, code=code)


def retry_after_s(response: httpx.Response) -> int | None:
    """The Retry-After header in whole seconds (the service sends seconds), None without one."""
    try:
        return max(0, int(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None
