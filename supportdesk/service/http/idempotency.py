"""The Idempotency-Key header, and an operation's answer (fresh or replayed) as a response."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from supportdesk.service.ops.idempotency import Answer, Once, Replay, request_hash

REPLAY_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string (8-128 of A-Z a-z 0-9 . _ : -); a retry with the same "
        "key and request returns the first answer without acting again.",
    ),
]


def once(request: Request, body: BaseModel, key: str | None) -> Once:
    """What makes this request run once: its key and its fingerprint (method, path, body)."""
    return Once(key=key, fingerprint=request_hash(request.method, request.url.path, body))


def respond(done: Answer | Replay) -> Response:
    if isinstance(done, Replay):
        return Response(
            content=done.body,
            status_code=done.status_code,
            media_type="application/json",
            headers={REPLAY_HEADER: "true"},
        )
    return JSONResponse(done.body.model_dump(mode="json"), status_code=done.status_code)
