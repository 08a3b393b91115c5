"""Staff sign-in under concurrency, two serve processes on one store (issue 11).

A TOTP code is good for one session, and a lock-out stops password checks at
the limit, however many requests arrive at once and whichever process takes
them. SQLite's immediate transactions serialise the check-and-count; on
PostgreSQL the sign-in locks the agent row (FOR UPDATE) for the same effect.
"""

from __future__ import annotations

import asyncio

import pyotp
import pytest
from sqlalchemy import select

from bench.serving import sign_in_body
from supportdesk.service.store.engine import make_engine
from supportdesk.service.store.schema import factors
from tests.faults.served import Served
from tests.support import store_params

SERVE_PROCESSES = 2
LOCKOUT_ATTEMPTS = 5  # ServiceSettings.lockout_attempts


async def at_once(served: Served, bodies: list[dict[str, str]]) -> list[int]:
    """Post the sign-ins together, alternating between the processes, connections open."""
    clients = [served.client(server=n % len(served.servers)) for n in range(len(bodies))]
    try:
        await asyncio.gather(*(c.get("/v1/health") for c in clients))
        answers = await asyncio.gather(
            *(c.post("/v1/agent/sessions", json=b) for c, b in zip(clients, bodies, strict=True))
        )
        return [a.status_code for a in answers]
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


@pytest.mark.parametrize(
    "served",
    store_params(),
    indirect=True,
)
async def test_one_valid_code_sent_eight_times_at_once_opens_one_session(served: Served) -> None:
    rounds = []
    for n in (1, 2, 3):  # three accounts: a lucky interleaving once does not hide the race
        name = served.agent(n)
        body = sign_in_body(name, served.book.code(name))
        rounds.append((await at_once(served, [body] * 8)).count(201))
    assert rounds == [1, 1, 1]


@pytest.mark.parametrize(
    "served",
    store_params(),
    indirect=True,
)
async def test_twenty_wrong_passwords_at_once_are_checked_only_up_to_the_limit(
    served: Served,
) -> None:
    name = served.agent(4)
    statuses = await at_once(served, [sign_in_body(name, "000000", password="wrong")] * 20)
    checked = statuses.count(401)  # a wrong password answered as such; refusals are 429
    assert LOCKOUT_ATTEMPTS - 1 <= checked <= LOCKOUT_ATTEMPTS, statuses
    assert statuses.count(429) == 20 - checked, statuses
    # On the record: exactly the limit's worth of passwords checked, the rest refused.
    async with served.client() as reader:
        page = await reader.get(
            "/v1/audit", params={"agent": name, "limit": 100}, headers=served.lead()
        )
    outcomes = sorted(e["outcome"] for e in page.json()["entries"])
    assert outcomes == ["failed"] * 4 + ["locked_out"] + ["refused"] * 15, outcomes


async def user_totp_secret(db_url: str, user_id: str) -> str:
    """The end user's authenticator secret, read from the store as their phone holds it."""
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                select(factors.c.totp_secret)
                .where(factors.c.user_id == user_id)
                .where(factors.c.type == "totp")
                .where(factors.c.totp_secret.is_not(None))
            )
            return str(found.scalars().first())
    finally:
        await engine.dispose()


@pytest.mark.parametrize("served", store_params(), indirect=True)
async def test_one_end_user_code_sent_to_eight_sign_ins_at_once_opens_one_session(
    served: Served,
) -> None:
    """The factor's step is spent by a conditional UPDATE: the same code, answered on
    eight open sign-ins at once across both processes, signs the user in once."""
    user_id = served.bench.agents[2].removal_users[0].user_id
    secret = await user_totp_secret(served.db_url, user_id)
    email = f"{user_id}@bench.example"
    clients = [served.client(server=n % len(served.servers)) for n in range(8)]
    try:
        opened = [
            await c.post("/v1/enduser/signin", json={"email": email, "password": "demo"})
            for c in clients
        ]
        assert [a.status_code for a in opened] == [200] * 8
        code = pyotp.TOTP(secret).now()
        answers = await asyncio.gather(
            *(
                c.post(
                    "/v1/enduser/signin/verify",
                    json={"challenge_id": a.json()["challenge_id"], "method": "totp", "code": code},
                )
                for c, a in zip(clients, opened, strict=True)
            )
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 1, statuses
