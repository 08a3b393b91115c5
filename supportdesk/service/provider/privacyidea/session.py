"""The service admin's session with privacyIDEA and the one way every call is made.

It signs in (`POST /auth`, then header `PI-Authorization`), signs in again once
when the session is no longer accepted, and turns every answer whose
`result.status` is false into an exception from `errors`. It logs method, path
and privacyIDEA's error code only: never a body, which may carry a code, a
password or a phone number.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from supportdesk.service.provider.privacyidea.errors import (
    PiAuthFailed,
    PiUnreachable,
    error_for,
    session_expired,
)
from supportdesk.service.provider.privacyidea.settings import PrivacyIdeaSettings

log = logging.getLogger(__name__)

Body = dict[str, Any]


class PiSession:
    """One connection pool to one privacyIDEA, signed in as the desk's service admin."""

    def __init__(
        self, settings: PrivacyIdeaSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if not settings.url:
            raise ValueError("privacyIDEA URL is not set (SUPPORTDESK_PI_URL)")
        self.settings = settings
        self.http = httpx.AsyncClient(
            base_url=settings.url,
            verify=settings.tls_verify(),
            timeout=settings.timeout_s,
            transport=transport,
            headers={"User-Agent": "supportdesk"},
        )
        self._jwt: str | None = None
        self._auth_lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def sign_in(self) -> None:
        """Sign the service admin in; done on first use and when the session expires."""
        password = self.settings.admin_secret()
        body = await self.call(
            "POST",
            "/auth",
            json={
                "username": self.settings.admin_username,
                "password": password.get_secret_value(),
            },
            admin=False,
        )
        token = (body["result"].get("value") or {}).get("token")
        if not token:
            raise PiAuthFailed("privacyIDEA answered /auth without a session token")
        self._jwt = str(token)

    def forget_session(self) -> None:
        """Drop the admin session, so the next call signs in again (tests use it too)."""
        self._jwt = None

    async def _admin_header(self) -> str:
        async with self._auth_lock:
            if self._jwt is None:
                await self.sign_in()
            assert self._jwt is not None
            return self._jwt

    async def _renew(self, stale: str) -> None:
        async with self._auth_lock:
            if self._jwt == stale:  # nobody renewed it while we waited
                self._jwt = None
                await self.sign_in()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Body | None = None,
        json: Body | None = None,
        admin: bool = True,
    ) -> Body:
        query = {k: v for k, v in (params or {}).items() if v is not None} or None
        payload = {k: v for k, v in json.items() if v is not None} if json is not None else None
        for attempt in (1, 2):
            headers = {}
            jwt = await self._admin_header() if admin else None
            if jwt:
                headers["PI-Authorization"] = jwt
            response = await self._send(method, path, query, payload, headers)
            body = _decode(response, method, path)
            result: Body = body.get("result") or {}
            if result.get("status") is True:
                return body
            error: Body = result.get("error") or {}
            code = error.get("code")
            code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
            message = str(error.get("message") or f"HTTP {response.status_code}")
            log.info("privacyIDEA %s %s -> %s error %s", method, path, response.status_code, code)
            if admin and jwt and attempt == 1 and session_expired(code, response.status_code):
                await self._renew(jwt)
                continue
            raise error_for(code, message, response.status_code)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        method: str,
        path: str,
        query: Body | None,
        payload: Body | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        try:
            return await self.http.request(
                method, path, params=query, json=payload, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise PiUnreachable(f"privacyIDEA did not answer {method} {path} in time") from exc
        except httpx.HTTPError as exc:
            raise PiUnreachable(f"privacyIDEA unreachable: {type(exc).__name__}") from exc


def _decode(response: httpx.Response, method: str, path: str) -> Body:
    try:
        body = response.json()
    except ValueError as exc:
        raise PiUnreachable(
            f"{method} {path}: HTTP {response.status_code} without privacyIDEA's JSON",
            status=response.status_code,
        ) from exc
    if not isinstance(body, dict) or not isinstance(body.get("result"), dict):
        raise PiUnreachable(
            f"{method} {path}: not a privacyIDEA answer", status=response.status_code
        )
    return body
