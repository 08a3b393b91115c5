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
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.audit_chain import canonical_json
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, InvalidInput, ServiceError
from supportdesk.service.store import idempotency as keys
from supportdesk.service.store.engine import reading

KEY_TTL = timedelta(days=1)
"""How long a stored answer is replayed for its key."""
_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


@dataclass(frozen=True)
class Once:
    """What makes a state change run once: the caller's key (if any) and the request's
    fingerprint (`request_hash`)."""

    key: str | None
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    """What an action produced: the reply now, and what a replay may show later.

    `replay_body` leaves out what may be shown only once (a one-time access
    code); the key's row is stored in plain text, so it must never hold one.
    """

    body: BaseModel
    status_code: int = 200
    replay_body: BaseModel | None = None


@dataclass(frozen=True)
class Replay:
    """The stored first answer to a retried request: status and JSON body as sent then."""

    status_code: int
    body: str


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


async def run_once(ctx: ServiceContext, *, agent: str, once: Once, work: Work) -> Answer | Replay:
    """Run `work` once per (agent, key); replay the stored answer for any retry.

    A refusal `work` returns is raised (after its transaction committed).
    """
    key = once.key
    if key is None:
        async with ctx.engine.begin() as conn:
            done = await work(conn)
        return _fresh(done)
    if not _KEY.match(key):
        raise InvalidInput(
            "Idempotency-Key must be 8-128 characters of A-Z a-z 0-9 . _ : -",
            field="Idempotency-Key",
        )
    for _attempt in range(3):
        async with reading(ctx.engine) as conn:
            stored = await keys.stored(conn, agent, key, _oldest_kept(ctx.clock.now()))
        if stored is not None:
            return _replay(stored, once.fingerprint)
        try:
            async with ctx.engine.begin() as conn:
                await _claim(conn, ctx, agent, key, once.fingerprint)
                done = await work(conn)
                status, text = _serialise(done)
                await keys.save(conn, agent, key, status, text)
        except _Raced:
            continue
        return _fresh(done)
    raise Conflict("this request is being handled by another attempt with the same key")


def _oldest_kept(now: datetime) -> datetime:
    return now - KEY_TTL


async def _claim(
    conn: AsyncConnection, ctx: ServiceContext, agent: str, key: str, fingerprint: str
) -> None:
    """Insert the key's row before the work runs: the lock duplicates queue on.

    Keys past `KEY_TTL` go first (this one's own old row too, so it can be used again).
    """
    now = ctx.clock.now()
    await keys.purge(conn, _oldest_kept(now))
    try:
        await keys.claim(conn, agent, key, fingerprint, now)
    except IntegrityError as exc:
        raise _Raced from exc


def _replay(stored: Any, fingerprint: str) -> Replay:
    if stored.request_hash != fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used for a different request; use a new key"
        )
    return Replay(status_code=int(stored.status_code), body=str(stored.body))


def _serialise(done: Answer | ServiceError) -> tuple[int, str]:
    if isinstance(done, ServiceError):
        error = {"code": done.code, "message": done.message, "field": done.field}
        return done.status, json.dumps({"error": error})
    shown = done.replay_body if done.replay_body is not None else done.body
    return done.status_code, shown.model_dump_json()


def _fresh(done: Answer | ServiceError) -> Answer:
    if isinstance(done, ServiceError):
        raise done
    return done
