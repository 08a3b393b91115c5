"""The number on file, judged without being shown; and the article's way out, the
authenticator app at the next sign-in."""

from __future__ import annotations

import json

import httpx
import pytest

from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Conflict, InvalidInput, RateLimited
from supportdesk.service.context import ServiceContext
from tests.service.support import TYLER, TYLER_EMAIL, sms_audit_rows
from tests.support import sign_in_as


async def test_the_overview_analyses_the_number_on_file_without_showing_it(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    overview = await client.sms_overview(TYLER)
    [factor] = overview.factors
    assert factor.can_send and factor.refusal is None
    assert factor.number is not None
    assert factor.number.country == "United States"
    assert factor.number.sms_country_supported
    assert factor.number.line_type == "fixed_line_or_mobile"
    assert factor.number.masked == "+1 •••-•••-0162"
    assert overview.next_send_in_s == 0
    assert overview.limits == ["one code every 30 s", "5 per user an hour", "each code lives 5 min"]
    assert not overview.has_authenticator
    assert "5055550162" not in overview.model_dump_json()


async def test_shared_calling_codes_are_told_apart(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    jamaica = (await client.sms_overview("u1026")).factors[0]
    dominican = (await client.sms_overview("u1028")).factors[0]
    assert jamaica.can_send and jamaica.number and jamaica.number.region == "JM"
    assert not dominican.can_send and dominican.number and dominican.number.region == "DO"


@pytest.mark.parametrize(
    ("stated", "verdict"),
    [
        ("+15055550162", "same"),
        ("(505) 555-0162", "same_other_notation"),  # national, read in the user's region
        ("001 505 555 0162", "same_other_notation"),
        ("+52 505 555 0162", "differs_country_code"),
        ("+1 505 555 0199", "differs"),
    ],
)
async def test_a_stated_number_is_compared_with_the_one_on_file(
    client: SupportDeskClient, ctx: ServiceContext, stated: str, verdict: str
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    check = await client.compare_sms_number(TYLER, stated, ticket_id="T-1042")
    assert check.verdict == verdict
    assert check.matches == (verdict in ("same", "same_other_notation"))
    assert "5055550162" not in check.model_dump_json()
    [entry] = await sms_audit_rows(ctx, TYLER)
    assert (entry["action"], entry["outcome"], entry["ticket_id"]) == (
        "sms.compare_number",
        verdict,
        "T-1042",
    )
    assert "5055550162" not in (entry["detail"] or "")


async def test_the_raw_answer_never_holds_the_number_on_file(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    response = await client._http.post(
        f"/v1/users/{TYLER}/sms/compare",
        json={"number": "+15055550162"},
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert response.status_code == 200
    assert "5055550162" not in response.text


@pytest.mark.parametrize(
    ("stated", "region", "field", "words"),
    [
        ("call me maybe", None, "number", "not a number"),
        ("12", None, "number", "too short"),
        ("+999 123 4567", None, "number", "unknown country code"),
        ("07700 154872", "UK", "region", "unknown region"),
    ],
)
async def test_unreadable_input_gets_a_reason(
    client: SupportDeskClient,
    ctx: ServiceContext,
    stated: str,
    region: str | None,
    field: str,
    words: str,
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    with pytest.raises(InvalidInput) as refused:
        await client.compare_sms_number("u1014", stated, region=region)
    assert refused.value.field == field
    assert words in refused.value.message


async def test_national_notation_is_read_in_the_users_own_region(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    # Callum Kinvig (T-1044) types his number as people on the Isle of Man do.
    check = await client.compare_sms_number("u1015", "07624 491234")
    assert check.verdict == "same_other_notation"
    assert check.stated.region == "IM"
    assert not check.stated.sms_country_supported


async def test_comparisons_are_rate_limited(client: SupportDeskClient, ctx: ServiceContext) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    for n in range(10):
        await client.compare_sms_number(TYLER, f"+1 505 555 01{n:02d}")
    with pytest.raises(RateLimited) as refused:
        await client.compare_sms_number(TYLER, "+1 505 555 0162")
    assert refused.value.retry_after_s > 500
    assert (await sms_audit_rows(ctx, TYLER))[-1]["outcome"] == "rate_limited"


async def test_switching_to_the_authenticator_app_takes_effect_at_next_sign_in(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    before = await client.enduser_sign_in(TYLER_EMAIL, "demo")
    assert before.enrol_required is None

    profile = await client.switch_to_authenticator(
        TYLER, "texts delayed by the carrier", ticket_id="T-1042"
    )
    assert profile.enrol_required == "totp"
    assert [f.type for f in profile.factors] == ["sms"]  # SMS stays as the backup
    after = await client.enduser_sign_in(TYLER_EMAIL, "demo")
    assert after.enrol_required == "totp"
    assert (await client.sms_overview(TYLER)).enrol_required == "totp"

    again = await client.switch_to_authenticator(TYLER, "asked twice")
    assert again.enrol_required == "totp"
    entries = await sms_audit_rows(ctx, TYLER)
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("sms.switch_to_authenticator", "success"),
        ("sms.switch_to_authenticator", "unchanged"),
    ]
    assert entries[0]["ticket_id"] == "T-1042"
    assert entries[0]["reason"] == "texts delayed by the carrier"
    assert json.loads(entries[0]["detail"]) == {"before": None, "enrol_required": "totp"}


async def test_no_switch_for_a_user_who_already_has_the_app_or_a_service_account(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    with pytest.raises(Conflict, match="already has an authenticator app"):
        await client.switch_to_authenticator("u1010", "walk")
    with pytest.raises(InvalidInput, match="credential manager"):
        await client.switch_to_authenticator("u1033", "walk")
    assert [e["outcome"] for e in await sms_audit_rows(ctx, "u1010")] == ["refused"]
    assert (await client.get_user("u1010")).enrol_required is None


async def test_the_sms_calls_need_an_agent(ctx: ServiceContext, client: SupportDeskClient) -> None:
    for method, path, body in (
        ("GET", f"/v1/users/{TYLER}/sms", None),
        ("GET", f"/v1/users/{TYLER}/sms/deliveries", None),
        ("POST", f"/v1/users/{TYLER}/sms/resend", {}),
        ("POST", f"/v1/users/{TYLER}/sms/compare", {"number": "+15055550162"}),
        ("POST", f"/v1/users/{TYLER}/sms/switch-to-authenticator", {"reason": "x"}),
    ):
        response: httpx.Response = await client._http.request(method, path, json=body)
        assert response.status_code == 401, path
