"""The database goes away under a running service, then comes back.

While PostgreSQL is stopped every request that needs it answers 503 with
Retry-After and a message that says what is wrong (not 500 "internal"); once it
is started again the very next request succeeds, with the same session, and
nothing was half-written. On SQLite the same answer comes when the store file
cannot be opened.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bench.ledger import Ledger, verify_chain
from bench.serving import CodeBook, read_agent_secrets, start_server
from bench.world import seed_bench_store
from supportdesk.service.context import open_context
from supportdesk.service.http.app import build_app
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.store.engine import make_engine
from tests.faults.own_postgres import own_postgres, why_not_available
from tests.faults.scenario import SERVE_ENV, sign_in, small_world
from tests.support import PG_URL

STORE_DOWN = "the desk's database is not answering"


def _assert_store_down(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    error = answer.json()["error"]
    assert error["code"] == "store_unavailable"
    assert STORE_DOWN in error["message"]


@pytest.mark.postgres
@pytest.mark.skipif(PG_URL is None, reason="SUPPORTDESK_TEST_PG_URL is not set")
async def test_postgres_stopped_answers_503_and_started_again_recovers(tmp_path: Path) -> None:
    reason = why_not_available()
    if reason is not None:
        pytest.skip(reason)
    bench = small_world(1)
    agent, lead_name = bench.agents[0], bench.leads[0]
    user = agent.sms_users[0].user_id
    with own_postgres() as cluster:
        await seed_bench_store(cluster.url, bench)
        book = CodeBook(await read_agent_secrets(cluster.url))
        server = start_server(cluster.url, tmp_path / "logs", env=SERVE_ENV)
        try:
            await asyncio.to_thread(server.wait_ready)
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                ledger = Ledger(prefix="down")
                token = await sign_in(http, ledger, book, agent.username)
                lead = await sign_in(http, ledger, book, lead_name)
                assert (await http.get(f"/v1/users/{user}", headers=token)).status_code == 200

                await asyncio.to_thread(cluster.stop)
                _assert_store_down(await http.get(f"/v1/users/{user}", headers=token))
                _assert_store_down(await http.get("/v1/tickets", headers=token))
                resend = await http.post(
                    f"/v1/users/{user}/sms/resend",
                    json={"ticket_id": agent.sms_users[0].ticket_id},
                    headers=token,
                )
                _assert_store_down(resend)
                body = {"username": agent.username, "password": "demo", "code": "123456"}
                _assert_store_down(await http.post("/v1/agent/sessions", json=body))
                # The service itself still answers: the desk can tell "database down"
                # from "service unreachable".
                assert (await http.get("/v1/health")).status_code == 200

                await asyncio.to_thread(cluster.start)
                # No warm-up and no retry: the first request after the restart succeeds.
                back = await http.get(f"/v1/users/{user}", headers=token)
                assert back.status_code == 200, back.text
                assert (await http.get("/v1/tickets", headers=token)).status_code == 200
                intact, summary = await verify_chain(http, lead)
                assert intact, summary
            assert "Traceback" not in server.log_tail(400)
        finally:
            server.stop()


async def test_sqlite_store_that_cannot_be_opened_answers_503(tmp_path: Path) -> None:
    """A store file whose folder went away (an unmounted share, say) is unavailable, not a bug."""
    ctx = await open_context(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'store.sqlite3'}"))
    await ctx.engine.dispose()
    ctx.engine = make_engine(f"sqlite:///{tmp_path / 'gone' / 'store.sqlite3'}")
    transport = httpx.ASGITransport(app=build_app(ctx), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
            answer = await http.get("/v1/tickets", headers={"Authorization": "Bearer any"})
            _assert_store_down(answer)
            assert (await http.get("/v1/health")).status_code == 200
    finally:
        await ctx.engine.dispose()
