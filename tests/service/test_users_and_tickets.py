"""Finding users and working tickets through the API, as the desk does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from supportdesk.api import errors
from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.store.schema import factors
from tests.support import sign_in_as


@pytest.fixture(autouse=True)
async def _signed_in(client: SupportDeskClient, ctx: ServiceContext) -> None:
    await sign_in_as(client, ctx, "demo-agent")


async def test_search_by_name_email_company_and_last_phone_digits(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    async with ctx.engine.connect() as conn:
        user_id, phone = (
            await conn.execute(
                select(factors.c.user_id, factors.c.phone_e164).where(factors.c.type == "sms")
            )
        ).first()  # type: ignore[misc]
    profile = await client.get_user(user_id)
    by_digits = await client.search_users(phone[-4:])
    assert user_id in {u.id for u in by_digits}
    assert user_id in {u.id for u in await client.search_users(profile.name.split()[-1].lower())}
    assert user_id in {u.id for u in await client.search_users(profile.email.upper())}
    assert user_id in {u.id for u in await client.search_users(profile.company[:6])}
    assert await client.search_users("zzzz-nobody") == []


async def test_profile_masks_numbers_and_names_key_models(client: SupportDeskClient) -> None:
    profiles = [await client.get_user(f"u{n}") for n in range(1001, 1038)]
    sms = [f for p in profiles for f in p.factors if f.type == "sms"]
    keys = [f for p in profiles for f in p.factors if f.type == "security_key"]
    assert sms and all(f.phone_masked and "•" in f.phone_masked for f in sms)
    assert keys and all(f.key_model for f in keys)
    assert {p.kind for p in profiles} == {"individual", "service"}
    assert any(p.mfa_status == "setup_required" and not p.factors for p in profiles)


async def test_unknown_user_and_ticket_are_404(client: SupportDeskClient) -> None:
    with pytest.raises(errors.NotFound, match="no user"):
        await client.get_user("u0000")
    with pytest.raises(errors.NotFound, match="no ticket"):
        await client.get_ticket("T-0000")


async def test_resolving_needs_a_known_outcome_and_a_note_and_happens_once(
    client: SupportDeskClient,
) -> None:
    with pytest.raises(errors.InvalidInput, match="unknown outcome") as bad:
        await client.resolve_ticket("T-1042", "magic", "did things")
    assert bad.value.field == "outcome"
    with pytest.raises(errors.InvalidInput, match="note"):
        await client.resolve_ticket("T-1042", "explained", "   ")
    assert (await client.get_ticket("T-1042")).status == "open"
    await client.resolve_ticket("T-1042", "sms_resent", "code arrived after resend")
    with pytest.raises(errors.Conflict, match="already resolved by demo-agent"):
        await client.resolve_ticket("T-1042", "sms_resent", "again")
    assert "T-1042" not in {t.id for t in await client.list_tickets()}
    resolved = await client.list_tickets(status="resolved")
    assert [t.outcome for t in resolved if t.id == "T-1042"] == ["sms_resent"]


async def test_sign_in_history_is_newest_first(client: SupportDeskClient) -> None:
    events = await client.user_signins("u1003")
    assert len(events) >= 2
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
