"""An SMS gateway that posts to a real provider's HTTP API.

Providers differ in little but names: where the request goes, how the caller proves who
it is, whether the body is JSON or a form, and what the fields are called. All of that is
configuration (``HttpGatewayConfig``, filled from the service settings), so the same code
speaks to Twilio (form body, basic auth, ``To``/``From``/``Body``, ``sid``) or to a JSON
API with a bearer token. States later come from an optional status URL (``{ref}`` in it
is replaced by the provider's message reference); without one, the log shows the state
the provider gave when it accepted the message.

Credentials go only into the request headers; error reasons shown to agents are built
from the provider's answer, never from the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import quote

import httpx

from supportdesk.service.sms.gateway import (
    DeliveryState,
    DeliveryStatus,
    OutgoingSms,
    SendReceipt,
    SmsGatewayError,
)

PROVIDER_STATUSES: Final[Mapping[str, DeliveryStatus]] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "submitted": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "failed": "failed",
    "rejected": "failed",
    "canceled": "failed",
    "undelivered": "undelivered",
    "expired": "undelivered",
}
"""Provider status words (lower-cased) in the delivery log's five states."""

MAX_REASON = 200


@dataclass(frozen=True)
class HttpGatewayConfig:
    """Where and how to post a text; field names are the provider's."""

    url: str
    body: Literal["json", "form"] = "json"
    sender: str = "Alvys"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    to_field: str = "to"
    from_field: str = "from"
    text_field: str = "text"
    ref_field: str = "id"
    status_field: str = "status"
    error_field: str = "error_message"
    error_code_field: str = "error_code"
    status_url: str | None = None
    timeout_s: float = 5.0


class HttpSmsGateway:
    """Posts each text to the configured provider (see module doc)."""

    def __init__(
        self, config: HttpGatewayConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._transport = transport

    @property
    def name(self) -> str:
        return "http"

    async def send(self, message: OutgoingSms, now: datetime) -> SendReceipt:
        """POST the text; a refusal or an unreachable provider raises ``SmsGatewayError``."""
        c = self.config
        payload = {c.to_field: message.to_e164, c.from_field: c.sender, c.text_field: message.text}
        async with self._client() as http:
            try:
                if c.body == "form":
                    response = await http.post(c.url, data=payload)
                else:
                    response = await http.post(c.url, json=payload)
            except httpx.TimeoutException:
                raise SmsGatewayError(
                    "the SMS provider did not answer in time", "timeout"
                ) from None
            except httpx.HTTPError:
                raise SmsGatewayError(
                    "the SMS provider could not be reached", "unreachable"
                ) from None
        answer = _json_object(response)
        if response.status_code >= 400:
            reason = _text(answer.get(c.error_field)) or (
                f"the SMS provider answered HTTP {response.status_code}"
            )
            code = _text(answer.get(c.error_code_field)) or f"http_{response.status_code}"
            raise SmsGatewayError(reason, code)
        ref = _text(answer.get(c.ref_field)) or f"ref-{message.reference}"
        state = self._state(answer, now) or DeliveryState(status="queued", at=now)
        return SendReceipt(provider_ref=ref, state=state)

    async def poll(
        self, provider_ref: str, to_e164: str, sent_at: datetime, now: datetime
    ) -> DeliveryState | None:
        """Ask the status URL, when there is one; a failed poll changes nothing."""
        if not self.config.status_url:
            return None
        url = self.config.status_url.replace("{ref}", quote(provider_ref, safe=""))
        async with self._client() as http:
            try:
                response = await http.get(url)
            except httpx.HTTPError:
                return None
        if response.status_code >= 400:
            return None
        return self._state(_json_object(response), now)

    def _client(self) -> httpx.AsyncClient:
        c = self.config
        headers = {"Accept": "application/json"}
        if c.token:
            headers["Authorization"] = f"Bearer {c.token}"
        auth = httpx.BasicAuth(c.username, c.password or "") if c.username else None
        return httpx.AsyncClient(
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(c.timeout_s),
            transport=self._transport,
            follow_redirects=False,
        )

    def _state(self, answer: Mapping[str, Any], now: datetime) -> DeliveryState | None:
        c = self.config
        status = PROVIDER_STATUSES.get((_text(answer.get(c.status_field)) or "").lower())
        if status is None:
            return None
        failed = status in ("failed", "undelivered")
        return DeliveryState(
            status=status,
            reason=_text(answer.get(c.error_field)) if failed else None,
            reason_code=_text(answer.get(c.error_code_field)) if failed else None,
            at=now,
        )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or an empty one when it is not JSON."""
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    """A provider value as short, single-line text (codes may come as numbers)."""
    if value is None or isinstance(value, dict | list) or value == "":
        return None
    text = " ".join(str(value).split())
    return text[:MAX_REASON] if text else None
