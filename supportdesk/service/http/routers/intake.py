"""The messenger's webhooks: signed deliveries in, tickets made by the intake.

Not behind an agent's token: the HMAC signature over the raw body, with the shared secret
and a timestamp inside the replay window, is what authenticates the caller. The body is
read raw (the signature covers its exact bytes) and never bigger than the limit.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from supportdesk.api.models import ErrorBody, IntakeReceipt, TicketMessage
from supportdesk.service.context import ServiceContext
from supportdesk.service.http.deps import Ctx, CurrentAgent
from supportdesk.service.ops import intake
from supportdesk.service.ops.intake import WebhookRejected

router = APIRouter(tags=["intake"])

_EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
        "description": "the messenger's event, signed over these exact bytes",
    }
}
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "bad or missing signature, or an old timestamp"},
    413: {"model": ErrorBody, "description": "the body or its text is over the limit"},
    422: {"model": ErrorBody, "description": "signed, but not a valid event"},
    429: {"model": ErrorBody, "description": "too many messages from one sender"},
}


async def _body(request: Request, ctx: ServiceContext) -> bytes:
    """The raw body, read no further than one byte past the limit (413 follows)."""
    limit = ctx.messenger.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise WebhookRejected.too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise WebhookRejected.too_large(size, limit)
    return b"".join(chunks)


@router.post(
    "/v1/intake/messenger",
    response_model=IntakeReceipt,
    responses=_REFUSALS,
    openapi_extra=_EVENT_BODY,
)
async def messenger_event(request: Request, ctx: Ctx) -> IntakeReceipt:
    """Our own event shape (docs/channels.md), signed with X-Supportdesk-Signature."""
    taken = await intake.receive_webhook(
        ctx, "supportdesk", await _body(request, ctx), dict(request.headers)
    )
    return IntakeReceipt(outcome=taken.outcome, ticket_id=taken.ticket_id, message=taken.message)


@router.post(
    "/v1/intake/chatwoot",
    response_model=IntakeReceipt,
    responses=_REFUSALS,
    openapi_extra=_EVENT_BODY,
)
async def chatwoot_event(request: Request, ctx: Ctx) -> IntakeReceipt:
    """Chatwoot's webhook (message_created, conversation_created), X-Chatwoot-Signature."""
    taken = await intake.receive_webhook(
        ctx, "chatwoot", await _body(request, ctx), dict(request.headers)
    )
    return IntakeReceipt(outcome=taken.outcome, ticket_id=taken.ticket_id, message=taken.message)


@router.get(
    "/v1/tickets/{ticket_id}/messages",
    response_model=list[TicketMessage],
    responses={404: {"model": ErrorBody, "description": "no such ticket"}},
)
async def ticket_messages(ticket_id: str, _agent: CurrentAgent, ctx: Ctx) -> list[TicketMessage]:
    """The ticket's conversation, oldest first: the user's messages and the desk's replies."""
    return await intake.ticket_messages(ctx, ticket_id)
