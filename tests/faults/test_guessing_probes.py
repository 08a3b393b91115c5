"""Guessing from outside: end users' passwords and codes, staff lock-out, unknown names.

Issue 11: end-user passwords and codes (across challenges) have a per-user budget;
a stranger's five wrong passwords lock an agent out only from the stranger's
address; a flood of unknown usernames is throttled per source and noted once a
minute rather than per try (docs/security.md). Each
probe comes from a loopback source address of its own, so a per-source limit
one probe trips does not decide another.
"""

from __future__ import annotations

import httpx
import pytest

from bench.serving import sign_in_body
from tests.faults.served import Served
from tests.support import store_params


def enduser_email(served: Served, n: int) -> str:
    # Removal users keep an authenticator app: an end user with a TOTP factor.
    return f"{served.bench.agents[n].removal_users[0].user_id}@bench.example"


@pytest.mark.parametrize(
    "served",
    store_params(),
    indirect=True,
)
async def test_forty_wrong_end_user_passwords_lock_the_password_step(served: Served) -> None:
    email = enduser_email(served, 5)
    async with served.client(source="127.0.0.21") as http:
        wrong = [
            await http.post("/v1/enduser/signin", json={"email": email, "password": f"guess{n}"})
            for n in range(40)
        ]
        right = await http.post("/v1/enduser/signin", json={"email": email, "password": "demo"})
    refused = [a for a in [*wrong, right] if a.status_code == 429]
    assert right.status_code == 429, right.text
    assert all("retry-after" in a.headers for a in refused)


@pytest.mark.parametrize(
    "served",
    store_params(),
    indirect=True,
)
async def test_code_guesses_across_fresh_challenges_run_into_a_budget(served: Served) -> None:
    email = enduser_email(served, 6)
    statuses: list[int] = []
    async with served.client(source="127.0.0.22") as http:
        for challenge in range(24):  # 120 guesses, five per challenge
            signin = await http.post(
                "/v1/enduser/signin", json={"email": email, "password": "demo"}
            )
            statuses.append(signin.status_code)
            if signin.status_code != 200:
                break
            challenge_id = signin.json()["challenge_id"]
            for guess in range(5):
                answer = await http.post(
                    "/v1/enduser/signin/verify",
                    json={
                        "challenge_id": challenge_id,
                        "method": "totp",
                        "code": f"{(challenge * 5 + guess) * 7919 % 1_000_000:06d}",
                    },
                )
                statuses.append(answer.status_code)
    assert 429 in statuses, f"{len(statuses)} answers, none a 429: {sorted(set(statuses))}"


@pytest.mark.parametrize(
    "served",
    store_params(),
    indirect=True,
)
async def test_a_strangers_five_wrong_passwords_do_not_lock_the_agent_out(served: Served) -> None:
    name = served.agent(7)
    async with served.client(source="127.0.0.23") as stranger:
        for _ in range(5):
            await stranger.post("/v1/agent/sessions", json=sign_in_body(name, "000000", "nope"))
    async with served.client(source="127.0.0.24") as own_desk:
        answer = await own_desk.post(
            "/v1/agent/sessions", json=sign_in_body(name, served.book.code(name))
        )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    "served",
    store_params(),
    indirect=True,
)
async def test_a_flood_of_unknown_usernames_is_throttled_and_not_logged_per_try(
    served: Served,
) -> None:
    lead = served.lead()
    name = "nobody-at-this-desk"
    async with served.client(source="127.0.0.25") as http:
        statuses = [
            (
                await http.post("/v1/agent/sessions", json=sign_in_body(name, "123456", "x"))
            ).status_code
            for _ in range(30)
        ]
    with httpx.Client(base_url=served.url, timeout=60) as reader:
        page = reader.get("/v1/audit", params={"agent": name, "limit": 100}, headers=lead)
    entries = page.json()["entries"]
    assert 429 in statuses, statuses
    assert len(entries) < 30, f"{len(entries)} entries for 30 tries"
