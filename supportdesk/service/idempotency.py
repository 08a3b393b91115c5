"""Idempotency keys: a retried state change returns the first answer and never acts twice.

A desk that lost the connection, or an agent who pressed Enter twice, sends
the same request again with the same `Idempotency-Key`. The key's row is the
lock: it is inserted *first*, inside the transaction that performs the action,
so a concurrent duplicate queues behind it (on the primary key in PostgreSQL,
on the write lock in SQLite), then fails on the key and replays the stored
answer. Refusals are stored too, so a retried refusal is not audited twice.

Keys belong to the agent who sent them; the same key with a different request
is refused (409), because answering it with someone else's result would lie.

A key is remembered for `KEY_TTL` (a retry comes within seconds, a desk that lost its
connection within minutes): older rows are purged when a new key is stored, and a key
older than that is not replayed (sent again, it is a new request).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.audit_chain import canonical_json
from supportdesk.service.context import ServiceContext
from supportdesk.service.db.schema import idempotency_keys
from supportdesk.service.errors import Conflict, InvalidInput, ServiceError

REPLAY_HEADER = "Idempotent-Replayed"
KEY_TTL = timedelta(days=1)
"""How long a stored answer is replayed for its key."""
_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string (8-128 of A-Z a-z 0-9 . _ : -); a retry with the same "
        "key and request returns the first answer without acting again.",
    ),
]


@dataclass(frozen=True)
class Answer:
    """What an action produced: the reply now, and what a replay may show later.

    `replay_body` leaves out what may be shown only once (a one-time access
    code); the key's row is stored in plain text, so it must never hold one.
    """

    body: BaseModel
    status_code: int = 200
    replay_body: BaseModel | None = None


Work = Callable[[AsyncConnection], Awaitable["Answer | ServiceError"]]
"""The action, run inside the key's transaction; it returns a refusal rather than raise it,
so the refusal's audit entry commits with the key."""


def request_hash(method: str, path: str, body: BaseModel | Mapping[str, Any] | None) -> str:
    """What makes two requests "the same": method, path and the body's canonical JSON."""
    payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    text = canonical_json({"method": method.upper(), "path": path, "body": payload})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Raced(Exception):
    """A concurrent duplicate committed the key first."""


async def run_once(
    ctx: ServiceContext, *, agent: str, key: str | None, fingerprint: str, work: Work
) -> Response:
    """Run `work` once per (agent, key); replay the stored answer for any retry."""
    if key is None:
        async with ctx.engine.begin() as conn:
            done = await work(conn)
        return _respond(done)
    if not _KEY.match(key):
        raise InvalidInput(
            "Idempotency-Key must be 8-128 characters of A-Z a-z 0-9 . _ : -",
            field="Idempotency-Key",
        )
    for _attempt in range(3):
        stored = await _stored(ctx, agent, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        try:
            async with ctx.engine.begin() as conn:
                await _claim(conn, ctx, agent, key, fingerprint)
                done = await work(conn)
                status, text = _serialise(done)
                await conn.execute(
                    idempotency_keys.update()
                    .where(idempotency_keys.c.agent == agent)
                    .where(idempotency_keys.c.key == key)
                    .values(status_code=status, body=text)
                )
        except _Raced:
            continue
        return _respond(done)
    raise Conflict("this request is being handled by another attempt with the same key")


async def _stored(ctx: ServiceContext, agent: str, key: str) -> Any:
    async with ctx.engine.connect() as conn:
        return (
            await conn.execute(
                select(idempotency_keys)
                .where(idempotency_keys.c.agent == agent)
                .where(idempotency_keys.c.key == key)
                .where(idempotency_keys.c.created_at > _oldest_kept(ctx.clock.now()))
            )
        ).first()


def _oldest_kept(now: datetime) -> datetime:
    return now - KEY_TTL


async def _claim(
    conn: AsyncConnection, ctx: ServiceContext, agent: str, key: str, fingerprint: str
) -> None:
    """Insert the key's row before the work runs: the lock duplicates queue on.

    Keys past `KEY_TTL` go first (this one's own old row too, so it can be used again).
    """
    now = ctx.clock.now()
    await conn.execute(
        idempotency_keys.delete().where(idempotency_keys.c.created_at <= _oldest_kept(now))
    )
    try:
        await conn.execute(
            idempotency_keys.insert().values(
                agent=agent,
                key=key,
                request_hash=fingerprint,
                status_code=0,
                body="",
                created_at=now,
            )
        )
    except IntegrityError as exc:
        raise _Raced from exc


def _replay(stored: Any, fingerprint: str) -> Response:
    if stored.request_hash != fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used for a different request; use a new key"
        )
    return Response(
        content=stored.body,
        status_code=stored.status_code,
        media_type="application/json",
        headers={REPLAY_HEADER: "true"},
    )


def _serialise(done: Answer | ServiceError) -> tuple[int, str]:
    if isinstance(done, ServiceError):
        error = {"code": done.code, "message": done.message, "field": done.field}
        return done.status, json.dumps({"error": error})
    shown = done.replay_body if done.replay_body is not None else done.body
    return done.status_code, shown.model_dump_json()


def _respond(done: Answer | ServiceError) -> Response:
    if isinstance(done, ServiceError):
        raise done
    return JSONResponse(done.body.model_dump(mode="json"), status_code=done.status_code)
