"""Idempotency keys: a retried state change returns the first answer and never acts twice.

A desk that lost the connection, or an agent who pressed Enter twice, sends
the same request again with the same `Idempotency-Key`. The key's row is the
lock: it is inserted *first*, inside the transaction that performs the action
(one `INSERT ... ON CONFLICT` statement), so a concurrent duplicate queues behind
it (on the primary key in PostgreSQL, on the write lock in SQLite), then finds
the key taken and replays the stored answer, read in that same transaction.
Refusals are stored too, so a retried refusal is not audited twice.

Keys belong to the agent who sent them; the same key with a different request
is refused (409), because answering it with someone else's result would lie.

A key is remembered for `KEY_TTL` (a retry comes within seconds, a desk that lost its
connection within minutes): older rows are purged when a new key is stored (at most
once every `PURGE_EVERY` per process: a purge per write is a statement per write), and
a key older than that is not replayed (sent again, it is a new request: its old row
is taken over).
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
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.audit_chain import canonical_json
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, InvalidInput, ServiceError
from supportdesk.service.store import idempotency as keys

KEY_TTL = timedelta(days=1)
"""How long a stored answer is replayed for its key."""
PURGE_EVERY = timedelta(minutes=1)
"""How often (by the service's clock) a process deletes keys past `KEY_TTL`."""
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
    now = ctx.clock.now()
    oldest = _oldest_kept(now)
    replay: Replay | None = None
    async with ctx.engine.begin() as conn:
        await _purge_if_due(conn, ctx, now)
        if await keys.claim(conn, agent, key, once.fingerprint, now, oldest):
            done = await work(conn)
            status, text = _serialise(done)
            await keys.save(conn, agent, key, status, text)
        else:  # answered before: this transaction changes nothing
            stored = await keys.stored(conn, agent, key, oldest)
            if stored is None:
                raise Conflict("this request is being handled by another attempt with the same key")
            replay = _replay(stored, once.fingerprint)
    return replay if replay is not None else _fresh(done)


def _oldest_kept(now: datetime) -> datetime:
    return now - KEY_TTL


_LAST_PURGE = "_supportdesk_keys_purged_at"


async def _purge_if_due(conn: AsyncConnection, ctx: ServiceContext, now: datetime) -> None:
    """Delete keys past `KEY_TTL`, at most every `PURGE_EVERY` in this process."""
    held = ctx.engine.sync_engine.__dict__
    last: datetime | None = held.get(_LAST_PURGE)
    if last is not None and last <= now < last + PURGE_EVERY:
        return
    held[_LAST_PURGE] = now
    await keys.purge(conn, _oldest_kept(now))


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
