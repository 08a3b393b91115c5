"""`supportdesk agent add`: a desk account outside the demo, its password and seed shown
once, able to sign in at once; on both stores."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from supportdesk.cli import main
from supportdesk.service import errors
from supportdesk.service.context import ServiceContext, builtin_provider, open_context
from supportdesk.service.ops import sessions
from supportdesk.service.store.engine import drop_schema, make_engine, sqlite_url
from supportdesk.service.store.schema import audit_log
from tests.support import PG_URL, fast_settings, store_params

STORES = store_params()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store of each kind: a new SQLite file, or a wiped PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "desk.sqlite3")
    assert PG_URL is not None

    async def wipe() -> None:
        engine = make_engine(PG_URL)
        await drop_schema(engine)
        await engine.dispose()

    asyncio.run(wipe())
    return PG_URL


def shown(out: str) -> tuple[str, str]:
    password = re.search(r"password\s+(\S+)", out)
    seed = re.search(r"TOTP seed\s+([A-Z2-7]+)", out)
    assert password and seed, out
    return password.group(1), seed.group(1)


async def sign_in(url: str, username: str, password: str, seed: str) -> str:
    """Sign in with what was shown; the role the session carries."""
    ctx: ServiceContext = await open_context(fast_settings(url), provider=builtin_provider)
    try:
        code = pyotp.TOTP(seed).at(ctx.clock.now())
        made = await sessions.sign_in(ctx, username, password, code, request_id="t")
        [entry] = await created(ctx)
        assert entry["outcome"] == "success" and username in entry["detail"]
        return made.agent.role
    finally:
        await ctx.aclose()


async def created(ctx: ServiceContext) -> list[dict[str, Any]]:
    """The log's entries for accounts made."""
    async with ctx.engine.connect() as conn:
        rows = await conn.execute(select(audit_log).where(audit_log.c.action == "agent.create"))
        return [dict(r._mapping) for r in rows]


def test_a_new_lead_signs_in_with_what_was_shown_once(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            ["agent", "add", "jordan.lee", "--name", "Jordan Lee", "--role", "lead", "--db", store]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Made lead jordan.lee (Jordan Lee)" in out and "shown only now" in out
    password, seed = shown(out)
    assert f"otpauth://totp/supportdesk:jordan.lee?secret={seed}" in out
    assert asyncio.run(sign_in(store, "jordan.lee", password, seed)) == "lead"


def test_a_taken_or_malformed_name_is_refused_and_shows_no_secret(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agent", "add", "sam.ortiz", "--db", store]) == 0
    capsys.readouterr()
    assert main(["agent", "add", "sam.ortiz", "--db", store]) == 2
    taken = capsys.readouterr()
    assert taken.out == "" and "already an account named sam.ortiz" in taken.err
    assert main(["agent", "add", "sam ortiz", "--db", store]) == 2
    malformed = capsys.readouterr()
    assert malformed.out == "" and "a username is 2 to 64" in malformed.err


def test_wrong_password_for_a_new_account_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path / "desk.sqlite3")
    assert main(["agent", "add", "ana.ruiz", "--db", url]) == 0
    _, seed = shown(capsys.readouterr().out)
    with pytest.raises(errors.Unauthorised):
        asyncio.run(sign_in(url, "ana.ruiz", "not-the-password", seed))
