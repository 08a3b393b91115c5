"""The client's plumbing: one place that sends, retries reads, and maps failures."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from supportdesk.api import errors

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SAFE_METHODS = frozenset({"GET", "HEAD"})


class ClientBase:
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
