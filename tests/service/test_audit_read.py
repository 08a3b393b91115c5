"""Reading the audit log as a lead: keyset pages, filters, live polling, by seq."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdesk.api.audit import AuditFilter
from supportdesk.api.client import SupportDeskClient
from supportdesk.api.errors import Forbidden, InvalidInput
from supportdesk.service.context import ServiceContext
from tests.service.support import add_entry
from tests.support import sign_in_as


async def test_pages_run_newest_first_and_the_cursor_reaches_the_oldest(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    for i in range(25):
        await add_entry(ctx, ago=timedelta(minutes=25 - i), action="ticket.note", user=None)
    await sign_in_as(client, ctx, "demo-lead")
    seen: list[int] = []
    cursor: int | None = None
    while True:
        page = await client.audit_find(AuditFilter(action="ticket.note"), before=cursor, limit=10)
        seen.extend(e.seq for e in page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 25
    assert seen == sorted(seen, reverse=True)


async def test_filters_narrow_to_one_agents_resets_in_a_range(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-lead")
    now = ctx.clock.now()
    narrowed = AuditFilter(
        agent="demo-agent2", action="reset", since=now - timedelta(days=2), until=now
    )
    # The demo world's past holds demo-agent2's own resets of Thursday.
    before = [e.seq for e in (await client.audit_find(narrowed)).entries]
    assert before
    wanted = await add_entry(ctx, ago=timedelta(days=1), actor="demo-agent2", action="mfa.reset")
    await add_entry(ctx, ago=timedelta(days=1), actor="demo-agent", action="mfa.reset")
    await add_entry(ctx, ago=timedelta(days=1), actor="demo-agent2", action="sms.resend")
    await add_entry(ctx, ago=timedelta(days=5), actor="demo-agent2", action="password.reset")
    page = await client.audit_find(narrowed)
    assert [e.seq for e in page.entries] == [wanted, *before]


async def test_action_is_exact_with_a_dot_a_glob_with_a_star_a_substring_without(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await add_entry(ctx, action="mfa.reset")
    await add_entry(ctx, action="password.reset")
    await add_entry(ctx, action="mfa.reset_request")
    await sign_in_as(client, ctx, "demo-lead")

    async def actions(wanted: str) -> set[str]:
        page = await client.audit_find(AuditFilter(action=wanted))
        return {e.action for e in page.entries}

    assert await actions("mfa.reset") == {"mfa.reset"}
    assert await actions("mfa.*") == {"mfa.reset", "mfa.reset_request"}
    assert await actions("reset") == {"mfa.reset", "password.reset", "mfa.reset_request"}
    assert await actions("50%") == set()  # a wildcard typed by hand matches literally


async def test_user_outcome_and_ticket_filters(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    hit = await add_entry(ctx, user="u1002", outcome="refused", ticket="T-1042")
    await add_entry(ctx, user="u1002", outcome="success", ticket="T-1042")
    await add_entry(ctx, user="u1003", outcome="refused", ticket="T-1042")
    await sign_in_as(client, ctx, "demo-lead")
    page = await client.audit_find(AuditFilter(user="u1002", outcome="refused", ticket="T-1042"))
    assert [e.seq for e in page.entries] == [hit]


async def test_polling_above_the_newest_seq_returns_only_new_entries(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-lead")
    newest = (await client.audit_find(AuditFilter(), limit=1)).entries[0].seq
    fresh = await add_entry(ctx, action="mfa.reset")
    page = await client.audit_find(AuditFilter(), after=newest)
    assert [e.seq for e in page.entries] == [fresh]


async def test_entries_can_be_fetched_by_seq(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    one = await add_entry(ctx)
    await add_entry(ctx)
    two = await add_entry(ctx)
    await sign_in_as(client, ctx, "demo-lead")
    page = await client.audit_find(AuditFilter(), seqs=[one, two])
    assert [e.seq for e in page.entries] == [two, one]


async def test_agents_are_refused_every_audit_read(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-agent")
    with pytest.raises(Forbidden, match="team lead"):
        await client.audit_find(AuditFilter())
    with pytest.raises(Forbidden):
        await client.audit_counts(AuditFilter(), "UTC")
    with pytest.raises(Forbidden):
        await client.audit_review()
    with pytest.raises(Forbidden):
        await client.audit_verify_step()
    with pytest.raises(Forbidden):
        async for _ in client.audit_export(AuditFilter()):
            pass


async def test_a_range_that_ends_before_it_starts_is_refused(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    await sign_in_as(client, ctx, "demo-lead")
    now = ctx.clock.now()
    with pytest.raises(InvalidInput, match="ends before it starts"):
        await client.audit_find(AuditFilter(since=now, until=now - timedelta(hours=1)))
