"""End-user sign-in, the proof that a fix took effect, resists guessing."""

from __future__ import annotations

import pyotp
import pytest

from supportdesk.api import errors
from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from tests.service.support import totp_user


async def test_the_right_code_signs_the_user_in(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    email, secret = await totp_user(ctx)
    started = await client.enduser_sign_in(email, "demo")
    assert started.status == "mfa_required" and "totp" in started.methods
    result = await client.enduser_verify(
        started.challenge_id, "totp", pyotp.TOTP(secret).at(ctx.clock.now())
    )
    assert result.status == "signed_in"


async def test_five_wrong_codes_end_the_sign_in(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    email, secret = await totp_user(ctx)
    started = await client.enduser_sign_in(email, "demo")
    good = pyotp.TOTP(secret).at(ctx.clock.now())
    wrong = f"{(int(good) + 7) % 1_000_000:06d}"
    for _ in range(4):
        with pytest.raises(errors.Unauthorised, match="not accepted"):
            await client.enduser_verify(started.challenge_id, "totp", wrong)
    with pytest.raises(errors.Unauthorised, match="too many wrong codes"):
        await client.enduser_verify(started.challenge_id, "totp", wrong)
    with pytest.raises(errors.Unauthorised, match="expired"):
        await client.enduser_verify(started.challenge_id, "totp", good)


async def test_wrong_password_says_nothing_about_the_account(client: SupportDeskClient) -> None:
    with pytest.raises(errors.Unauthorised, match="wrong e-mail address or password"):
        await client.enduser_sign_in("nobody@example.invalid", "demo")
