"""Posting the agent's reply into the messenger conversation (httpx).

Every request carries ``Idempotency-Key``: the same key for every attempt of one reply.
Our own shape requires the messenger to answer a repeated key with the first result, so
this client retries any temporary failure. Chatwoot has no idempotency keys: a request
whose answer was lost (timeout, dropped connection, 5xx) may already be in the
conversation, so it is not resent automatically; the caller gets ``ReplyTemporary`` with
``may_have_landed`` and keeps the ticket open with that reason.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol
from urllib.parse import quote

import httpx

from supportdesk.service.channels.messenger.models import (
    OutboundReply,
    ReplyPermanent,
    ReplyReceipt,
    ReplyTemporary,
)

MAX_RETRY_AFTER_S = 30.0


class MessengerClient(Protocol):
    """What the reply operation calls, whichever messenger is behind it."""

    async def send_reply(self, reply: OutboundReply) -> ReplyReceipt: ...


class _HttpReplyClient(ABC):
    dedupes_by_key: ClassVar[bool]

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        max_attempts: int = 3,
        backoff_s: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout_s
        self._attempts = max(1, max_attempts)
        self._backoff = backoff_s
        self._transport = transport

    @abstractmethod
    def _request(self, reply: OutboundReply) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL, headers and JSON body this messenger's API takes for a reply."""

    async def send_reply(self, reply: OutboundReply) -> ReplyReceipt:
        """Post the reply; ``ReplyPermanent`` or ``ReplyTemporary`` when it did not go."""
        url, headers, body = self._request(reply)
        headers = {**headers, "Idempotency-Key": reply.idempotency_key}
        last: ReplyTemporary | None = None
        async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as http:
            for attempt in range(1, self._attempts + 1):
                try:
                    response = await http.post(url, json=body, headers=headers)
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    last = ReplyTemporary(f"the messenger could not be reached: {_name(exc)}")
                except httpx.TransportError as exc:
                    last = ReplyTemporary(
                        f"the messenger's answer was lost: {_name(exc)}", may_have_landed=True
                    )
                else:
                    if response.is_success:
                        return ReplyReceipt(remote_id=_remote_id(response), attempts=attempt)
                    refusal = _refusal(response)
                    if isinstance(refusal, ReplyPermanent):
                        raise refusal
                    last = refusal
                if last.may_have_landed and not self.dedupes_by_key:
                    raise last
                if attempt < self._attempts:
                    await asyncio.sleep(
                        min(last.retry_after_s or self._backoff * attempt, MAX_RETRY_AFTER_S)
                    )
        assert last is not None
        raise last


class SupportdeskReplyClient(_HttpReplyClient):
    """Our own shape: ``POST {base}/conversations/{id}/replies`` with a bearer token."""

    dedupes_by_key = True

    def _request(self, reply: OutboundReply) -> tuple[str, dict[str, str], dict[str, Any]]:
        conversation = quote(reply.conversation.conversation_id, safe="")
        return (
            f"{self._base}/conversations/{conversation}/replies",
            {"Authorization": f"Bearer {self._token}"},
            {"text": reply.text, "ticket_id": reply.ticket_id},
        )


class ChatwootReplyClient(_HttpReplyClient):
    """Chatwoot: ``POST {base}/api/v1/accounts/{account}/conversations/{id}/messages``."""

    dedupes_by_key = False

    def _request(self, reply: OutboundReply) -> tuple[str, dict[str, str], dict[str, Any]]:
        account = reply.conversation.account_id
        if not account:
            raise ReplyPermanent("the Chatwoot conversation has no account id")
        conversation = quote(reply.conversation.conversation_id, safe="")
        return (
            f"{self._base}/api/v1/accounts/{quote(account, safe='')}"
            f"/conversations/{conversation}/messages",
            {"api_access_token": self._token},
            {"content": reply.text, "message_type": "outgoing", "private": False},
        )


_REFUSALS = {
    401: "refused our token",
    403: "does not let us post there",
    404: "has no such conversation",
}


def _refusal(response: httpx.Response) -> ReplyTemporary | ReplyPermanent:
    """A non-2xx answer as an error: 408/425/429/5xx are worth retrying, the rest not."""
    status = response.status_code
    if status in (408, 425, 429) or status >= 500:
        return ReplyTemporary(
            f"the messenger answered {status}; try again later",
            status=status,
            may_have_landed=status >= 500,
            retry_after_s=_retry_after(response.headers),
        )
    words = _REFUSALS.get(status, f"refused the reply ({status})")
    return ReplyPermanent(f"the messenger {words}", status=status)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


def _remote_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value is not None else None


def _name(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
