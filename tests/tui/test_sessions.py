"""Sessions at the desk: sign-out ends the session on the service (audited) before the
sign-in screen shows, over HTTP and embedded; codes typed with spaces or dashes sign in;
a code just used is refused with its own message; no stale "not answering"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Unauthorised
from supportdesk.embedded import client_for
from supportdesk.service.context import ServiceContext
from supportdesk.tui.screens.lock import LockScreen
from supportdesk.tui.screens.queue import QueueScreen
from supportdesk.tui.screens.signin import SignInScreen
from supportdesk.tui.screens.unreachable import UnreachableScreen
from tests.support import agent_code
from tests.tui.support import (
    audit_rows,
    held_token,
    make_desk,
    remote_desk,
    served_on_loopback,
    sign_in,
    text,
    type_sign_in,
    until,
    wait_for_screen,
    wait_for_text,
)


async def token_works(ctx: ServiceContext, token: str, url: str | None = None) -> bool:
    client = SupportDeskClient(url) if url else client_for(ctx)
    async with client:
        client.token = token
        try:
            await client.me()
        except Unauthorised:
            return False
    return True


async def test_sign_out_ends_the_embedded_session_and_audits_it(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        token = held_token(app)
        assert token is not None and await token_works(ctx, token)
        await pilot.press("ctrl+o")
        await wait_for_screen(pilot, SignInScreen)
        assert text(app, "#signin-message") == "Signed out."
        assert held_token(app) is None
    assert not await token_works(ctx, token)
    [entry] = await audit_rows(ctx, action="agent.signout")
    assert (entry["actor"], entry["outcome"]) == ("demo-agent", "success")


async def test_sign_out_over_http_ends_the_session_before_the_sign_in_screen(
    ctx: ServiceContext,
) -> None:
    async with served_on_loopback(ctx) as served:
        url = served.url
        app = remote_desk(ctx, url)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, ctx)
            token = held_token(app)
            assert token is not None and await token_works(ctx, token, url)
            await pilot.press("ctrl+o")
            await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in screen")
            # The request was answered before the screen changed: the token is dead now.
            assert not await token_works(ctx, token, url)
            assert (await audit_rows(ctx, action="agent.signout"))[-1]["actor"] == "demo-agent"


async def test_sign_out_with_the_service_gone_says_so_and_drops_the_token(
    ctx: ServiceContext,
) -> None:
    async with served_on_loopback(ctx) as served:
        app = remote_desk(ctx, served.url)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, ctx)
            token = held_token(app)
            assert token is not None
            await served.stop()  # the service goes away under the desk
            await pilot.press("ctrl+o")
            await wait_for_screen(pilot, SignInScreen)
            said = text(app, "#signin-message")
            assert said.startswith("Signed out on this desk only: cannot reach")
            assert "ends when it idles out" in said
            assert held_token(app) is None


@pytest.mark.parametrize("typed", ["{a} {b}", "{a}-{b}", "{fa}{fb}"])
async def test_a_code_typed_with_a_space_a_dash_or_full_width_signs_in(
    ctx: ServiceContext, typed: str
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
        wide = "".join(chr(0xFF10 + int(d)) for d in code)
        shown = typed.format(a=code[:3], b=code[3:], fa=wide[:3], fb=wide[3:])
        await type_sign_in(pilot, "demo", shown, "demo-agent")
        await wait_for_screen(pilot, QueueScreen)


async def test_a_code_of_the_wrong_shape_is_refused_before_it_is_sent(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_sign_in(pilot, "demo", "12 34 567", "demo-agent")
        said = await wait_for_text(pilot, "#signin-message", "7 digits")
        assert "a code is 6 digits" in said
    assert await audit_rows(ctx, action="agent.signin") == []  # nothing was sent


async def test_unlocking_with_the_code_just_used_says_it_was_used(ctx: ServiceContext) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
        await type_sign_in(pilot, "demo", code, "demo-agent")
        await wait_for_screen(pilot, QueueScreen)
        await pilot.press("ctrl+l")
        await wait_for_screen(pilot, LockScreen)
        await type_sign_in(pilot, "demo", code, None)  # the same 30 s step: already spent
        said = await wait_for_text(pilot, "#signin-message", "already used")
        assert said == "That code was already used: wait for the next one (up to 30 s)."


async def test_after_retry_the_lock_screen_no_longer_says_not_answering(
    ctx: ServiceContext,
) -> None:
    app = make_desk(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ctx)
        await pilot.press("ctrl+l")
        await wait_for_screen(pilot, LockScreen)
        app.show_unreachable("cannot reach the auth service at embedded")
        lock = app.screen_stack[-2]
        assert isinstance(lock, LockScreen)
        lock.say("The auth service is not answering.")
        await wait_for_screen(pilot, UnreachableScreen)
        await pilot.press("r")
        await wait_for_screen(pilot, LockScreen)
        await until(
            pilot,
            lambda: "not answering" not in text(app, "#signin-message"),
            "the stale message to go",
        )
        assert text(app, "#signin-message").startswith("Locked.")
        ctx.clock.advance(timedelta(seconds=30))
        code = await agent_code(ctx.engine, "demo-agent", ctx.clock.now())
        await type_sign_in(pilot, "demo", code, None)
        await wait_for_screen(pilot, QueueScreen)
