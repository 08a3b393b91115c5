"""privacyIDEA's own API on this machine: the reads a desk makes, timed in one run.

Brings up the same loopback peer as the live tests (tests/privacyidea/peer.py:
cached venv, SQLite, gunicorn 2 workers x 4 threads, the seeded world), writes
enough audit rows for a page of 200, then prints the median and p95 latency of

- a user read (`GET /user/?username=`), a user's token list (`GET /token/?user=`),
- an audit page of 50 and of 200, and a filtered audit page (one user's checks),
- a `/validate/check` that privacyIDEA rejects,

each straight over HTTP and through the desk's client (PrivacyIdeaClient), so the
client's own cost shows beside the server's. A second table (`desk_rows`) times the
same reads as an agent makes them, through the desk's service (its API client over the
in-process app, the privacyIDEA provider behind it, a store of ours on SQLite), beside
the privacyIDEA calls they stand for, in the same run:

- a user's profile (`GET /v1/users/{id}`: the user and their tokens, two privacyIDEA reads),
- their sign-in history (`/v1/users/{id}/signins`: one user's checks in privacyIDEA's audit),
- an audit page of 50 (the desk's own chain, read by a lead, beside privacyIDEA's page).

Then (issue 13) `supportdesk serve --demo` on its own SQLite store, beside privacyIDEA
in the same run: a factor list (a user's profile with its factors; privacyIDEA's token
list of a user) and an audit page of 50 and of 200, each pair timed interleaved over
raw HTTP, with the ratio serve / privacyIDEA (goal: median <= 0.1x). Each pair is timed
through a lean client (bench/lean_http.py), so that the ratio is the servers', and
through httpx as before, whose own time per request is added to both sides.

    .venv/bin/python bench/privacyidea.py [--runs 40] [--install]

Not part of the test suite. Needs the cached venv, or --install to build it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lean_http import LeanHttp
from serving import CodeBook, read_agent_secrets, sign_in_body, sqlite_store, start_server

from supportdesk.service.provider.privacyidea import (
    PrivacyIdeaClient,
    PrivacyIdeaSettings,
)
from tests.privacyidea.desk import desk_pi_settings, open_desk
from tests.privacyidea.peer import Peer, bring_up
from tests.privacyidea.seed import AdminSession

USER = "ray.castillo"


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    await call()  # warm the connection and the server's caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def fill_audit(http: httpx.AsyncClient, rows: int) -> None:
    """Rejected checks: each writes one audit row, as failed sign-ins would."""
    for _ in range(rows):
        await http.post("/validate/check", json={"user": "amanda.pierce", "pass": "000000"})


# -- issue 13: `supportdesk serve` beside privacyIDEA on the same reads -------------------

Reads = dict[str, tuple[str, dict[str, object]]]
"""Each read's label, and its path and query on one service."""


async def serve_reads(http: httpx.AsyncClient, store: str) -> Reads:
    """The desk's reads on `supportdesk serve`, as demo-lead (the audit log is a lead's);
    signs `http` in."""
    book = CodeBook(await read_agent_secrets(store))
    body = sign_in_body("demo-lead", book.code("demo-lead"))
    signed = await http.post("/v1/agent/sessions", json=body)
    signed.raise_for_status()
    http.headers["Authorization"] = f"Bearer {signed.json()['token']}"
    found = (await http.get("/v1/users", params={"q": "a", "limit": 50})).json()
    profiles = [(await http.get(f"/v1/users/{user['id']}")).json() for user in found]
    user_id = next(profile["id"] for profile in profiles if profile.get("factors"))
    return {
        "factor list": (f"/v1/users/{user_id}", {}),
        "audit page of 50": ("/v1/audit", {"limit": 50}),
        "audit page of 200": ("/v1/audit", {"limit": 200}),
    }


Call = Callable[[], Awaitable[object]]


def through_httpx(
    http: httpx.AsyncClient,
    path: str,
    params: dict[str, object],
    headers: dict[str, str] | None = None,
) -> Call:
    async def call() -> object:
        response = await http.get(path, params=params, headers=headers)
        response.raise_for_status()
        return response

    return call


def through_lean(lean: LeanHttp, path: str, params: dict[str, object]) -> Call:
    return lambda: lean.get(path, params)


async def serve_beside_privacyidea(
    pi_http: httpx.AsyncClient, pi_auth: dict[str, str], pi_reads: Reads, runs: int, scratch: Path
) -> None:
    """Each read on both services, interleaved so both see the same machine load, through
    two clients: a lean one (bench/lean_http.py), whose own cost is small beside either
    server's, and httpx, which costs about 0.7 ms a request on its own, 1.4 ms after a
    pause (more than serve's answer), so the ratio through it is the servers' plus that."""
    folder = scratch / "serve"
    folder.mkdir()
    store = sqlite_store(folder)
    server = start_server(store, folder / "logs")
    try:
        await asyncio.to_thread(server.wait_ready, 180)
        async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as http:
            ours = await serve_reads(http, store)
            lean_pi = LeanHttp(str(pi_http.base_url), pi_auth)
            lean_serve = LeanHttp(server.url, {"Authorization": http.headers["Authorization"]})
            head = f"{'read (raw HTTP, same run)':<28} {'client':<12} {'privacyIDEA':<36} "
            print(f"\n  {head}{'supportdesk serve':<36} ratio")
            for label, (pi_path, pi_params) in pi_reads.items():
                path, params = ours[label]
                pairs = {
                    "lean client": (
                        through_lean(lean_pi, pi_path, pi_params),
                        through_lean(lean_serve, path, params),
                    ),
                    "httpx": (
                        through_httpx(pi_http, pi_path, pi_params, pi_auth),
                        through_httpx(http, path, params),
                    ),
                }
                samples: dict[str, tuple[list[float], list[float]]] = {}
                for client, (theirs, mine) in pairs.items():
                    await theirs()
                    await mine()
                    samples[client] = ([], [])
                for _ in range(runs):
                    for client, (theirs, mine) in pairs.items():
                        for call, into in zip((theirs, mine), samples[client], strict=True):
                            start = time.perf_counter()
                            await call()
                            into.append((time.perf_counter() - start) * 1000)
                for client, (pi_ms, sd_ms) in samples.items():
                    ratio = statistics.median(sd_ms) / statistics.median(pi_ms)
                    goal = " (goal <= 0.1x)" if client == "lean client" else ""
                    name = label if client == "lean client" else ""
                    print(
                        f"  {name:<28} {client:<12} {figures(pi_ms)}   {figures(sd_ms)}   "
                        f"{ratio:.3f}x{goal}"
                    )
            await lean_pi.aclose()
            await lean_serve.aclose()
    finally:
        server.stop()


async def run(peer: Peer, runs: int, scratch: Path) -> None:
    world = peer.world
    settings = PrivacyIdeaSettings(
        url=peer.url,
        user_realms=[world.customer_realm],
        admin_username=peer.desk_admin.username,
        admin_password=peer.desk_admin.password,
        timeout_s=30,
    )
    async with (
        httpx.AsyncClient(base_url=peer.url, trust_env=False, timeout=30) as http,
        PrivacyIdeaClient(settings) as client,
    ):
        start = time.perf_counter()
        await fill_audit(http, 220)
        print(f"  220 audit rows written in {time.perf_counter() - start:.1f} s")
        auth = await http.post(
            "/auth",
            json={"username": peer.desk_admin.username, "password": peer.desk_admin.password},
        )
        headers = {"PI-Authorization": auth.json()["result"]["value"]["token"]}
        realm = world.customer_realm
        # The REJECT row would otherwise time a token locked after 10 wrong codes.
        owner = AdminSession(peer.url, peer.bootstrap_admin.username, peer.bootstrap_admin.password)
        serial = world.phone(USER).serial
        owner.call("POST", "/token/set", json={"serial": serial, "maxfail": 1_000_000})
        owner.close()

        def raw(path: str, **params: object) -> Callable[[], Awaitable[object]]:
            return lambda: http.get(path, params=params, headers=headers)

        rows: list[tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]] = [
            (
                "user read",
                raw("/user/", realm=realm, username=USER),
                lambda: client.user(USER),
            ),
            (
                "token list of a user",
                raw("/token/", user=USER, realm=realm),
                lambda: client.user_tokens(USER),
            ),
            (
                "audit page of 50",
                raw("/audit/", page_size=50, sortorder="desc"),
                lambda: client.audit(page_size=50),
            ),
            (
                "audit page of 200",
                raw("/audit/", page_size=200, sortorder="desc"),
                lambda: client.audit(page_size=200),
            ),
            (
                "audit page, one user's checks",
                raw("/audit/", page_size=50, user=USER, action="*validate/check*"),
                lambda: client.audit(page_size=50, user=USER, action="*validate/check*"),
            ),
            (
                "/validate/check REJECT",
                lambda: http.post("/validate/check", json={"user": USER, "pass": "000000"}),
                lambda: client.validate_check("000000", user=USER),
            ),
        ]
        print(f"\n  {'read':<32} {'privacyIDEA API':<36} through PrivacyIdeaClient")
        for label, direct, through in rows:
            direct_ms = await timed(direct, runs)
            client_ms = await timed(through, runs)
            print(f"  {label:<32} {figures(direct_ms)}   {figures(client_ms)}")

        pi_reads: Reads = {
            "factor list": ("/token/", {"user": USER, "realm": realm}),
            "audit page of 50": ("/audit/", {"page_size": 50, "sortorder": "desc"}),
            "audit page of 200": ("/audit/", {"page_size": 200, "sortorder": "desc"}),
        }
        await serve_beside_privacyidea(http, headers, pi_reads, runs, scratch)


async def desk_rows(peer: Peer, runs: int, store: Path) -> None:
    """The desk's service in front of privacyIDEA beside privacyIDEA's own API."""
    world = peer.world
    settings = desk_pi_settings(
        PrivacyIdeaSettings(
            url=peer.url,
            user_realms=[world.customer_realm],
            admin_username=peer.desk_admin.username,
            admin_password=peer.desk_admin.password,
            timeout_s=30,
        ),
        world.sensitive_user,
        world.service_account,
    )
    desk = await open_desk(store, settings)
    try:
        async with httpx.AsyncClient(base_url=peer.url, trust_env=False, timeout=30) as http:
            auth = await http.post(
                "/auth",
                json={"username": peer.desk_admin.username, "password": peer.desk_admin.password},
            )
            headers = {"PI-Authorization": auth.json()["result"]["value"]["token"]}
            realm = world.customer_realm
            user_id = await desk.user_id(USER)

            async def user_and_tokens() -> None:
                await http.get("/user/", params={"realm": realm, "username": USER}, headers=headers)
                await http.get("/token/", params={"user": USER, "realm": realm}, headers=headers)

            def pi_audit(**params: object) -> Callable[[], Awaitable[object]]:
                return lambda: http.get("/audit/", params=params, headers=headers)

            rows: list[
                tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]
            ] = [
                ("user and their tokens", user_and_tokens, lambda: desk.agent.get_user(user_id)),
                (
                    "sign-in history (50)",
                    pi_audit(page_size=50, user=USER, realm=realm, action="*validate/check*"),
                    lambda: desk.agent.user_signins(user_id, 50),
                ),
                (
                    "audit page of 50",
                    pi_audit(page_size=50, sortorder="desc"),
                    lambda: desk.lead.audit_page(limit=50),
                ),
            ]
            print(f"\n  {'read':<32} {'privacyIDEA API':<36} through the desk's service")
            for label, direct, through in rows:
                direct_ms = await timed(direct, runs)
                desk_ms = await timed(through, runs)
                print(f"  {label:<32} {figures(direct_ms)}   {figures(desk_ms)}")
    finally:
        await desk.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--install", action="store_true", help="build the venv if missing")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs per figure")
    with tempfile.TemporaryDirectory(prefix="pi-bench-") as scratch:
        peer = bring_up(Path(scratch), allow_install=args.install or None)
        try:
            print(f"  {peer.describe_timings()}")
            asyncio.run(run(peer, args.runs, Path(scratch)))
            asyncio.run(desk_rows(peer, args.runs, Path(scratch) / "desk.sqlite3"))
        finally:
            peer.stop()


if __name__ == "__main__":
    main()
