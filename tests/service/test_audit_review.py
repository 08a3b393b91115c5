"""The review queue: what a lead should look at twice, each item linked to its entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from supportdesk.api.audit import AuditFilter
from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.audit_review import (
    Reset,
    SignIn,
    after_hours,
    new_device_after_reset,
    repeat_resets,
    reset_spikes,
)
from tests.service.support import add_entry
from tests.support import sign_in_as

FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
WINDOW_START = FRIDAY - timedelta(days=7)


def reset(seq: int, at: datetime, agent: str = "dana", user: str | None = "u1") -> Reset:
    return Reset(seq=seq, at=at, agent=agent, user=user, action="mfa.reset")


def steady(agent: str, per_day: int, first_seq: int) -> list[Reset]:
    """Four weeks of weekday resets from 10:00, `per_day` a day, up to the day before."""
    found = []
    seq = first_seq
    for back in range(1, 29):
        day = FRIDAY - timedelta(days=back)
        if day.weekday() < 5:
            for n in range(per_day):
                found.append(reset(seq, day + timedelta(minutes=n), agent, f"u{seq}"))
                seq += 1
    return found


def test_an_agent_far_above_their_usual_pace_is_flagged() -> None:
    history = steady("dana", 1, 1) + steady("sam", 6, 1000)
    busy_day = [reset(5000 + n, FRIDAY + timedelta(minutes=n), "dana", f"x{n}") for n in range(8)]
    normal_day = [reset(6000 + n, FRIDAY + timedelta(minutes=n), "sam", f"y{n}") for n in range(8)]
    items = reset_spikes(history + busy_day + normal_day, WINDOW_START, UTC)
    assert [(i.agent, i.kind) for i in items] == [("dana", "reset_spike")]
    assert items[0].title == "dana: 8 resets on Fri 27 Nov"
    assert "about 1.0 a working day" in items[0].detail
    assert items[0].seqs == [5000 + n for n in range(8)]


def test_a_new_agent_needs_five_resets_in_a_day_to_stand_out() -> None:
    four = [reset(n, FRIDAY + timedelta(minutes=n), "new") for n in range(4)]
    five = [reset(n, FRIDAY + timedelta(minutes=n), "new") for n in range(5)]
    assert reset_spikes(four, WINDOW_START, UTC) == []
    assert "none at all" in reset_spikes(five, WINDOW_START, UTC)[0].detail


def test_resets_at_night_or_at_the_weekend_are_flagged_in_the_leads_zone() -> None:
    night = reset(1, datetime(2026, 11, 24, 22, 30, tzinfo=UTC))  # Tuesday 22:30 UTC
    saturday = reset(2, datetime(2026, 11, 21, 11, 0, tzinfo=UTC))
    office = reset(3, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    items = after_hours([night, saturday, office], UTC)
    assert sorted(seq for i in items for seq in i.seqs) == [1, 2]
    assert any("22:30 u1" in i.detail for i in items)
    # 07:30 UTC is already 08:30 in Berlin: inside working hours there.
    early = reset(4, datetime(2026, 11, 24, 7, 30, tzinfo=UTC))
    assert after_hours([early], UTC) != []
    assert after_hours([early], ZoneInfo("Europe/Berlin")) == []


def test_the_same_user_reset_again_within_days_is_flagged_once() -> None:
    monday = reset(1, datetime(2026, 11, 23, 10, 0, tzinfo=UTC), "dana", "u7")
    thursday = reset(2, datetime(2026, 11, 26, 11, 0, tzinfo=UTC), "sam", "u7")
    friday = reset(3, datetime(2026, 11, 27, 9, 0, tzinfo=UTC), "dana", "u7")
    long_ago = reset(4, datetime(2026, 11, 1, 10, 0, tzinfo=UTC), "dana", "u8")
    later = reset(5, datetime(2026, 11, 25, 10, 0, tzinfo=UTC), "dana", "u8")
    items = repeat_resets([monday, thursday, friday, long_ago, later], WINDOW_START, UTC)
    assert len(items) == 1
    assert items[0].user == "u7" and items[0].seqs == [1, 2, 3]
    assert items[0].title == "u7: reset 3 times within 3 days"
    assert "dana (Mon 23 Nov 10:00), then sam" in items[0].detail


def test_a_sign_in_from_a_new_device_or_country_soon_after_a_reset_is_flagged() -> None:
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    def signin(hours: float, device: str, country: str) -> SignIn:
        return SignIn(
            user="u1",
            at=at + timedelta(hours=hours),
            device_id=device,
            device_name=f"{device} phone",
            city="Somewhere",
            country=country,
        )

    history = [signin(-100, "d1", "US"), signin(-50, "d1", "US")]
    known_again = [*history, signin(3, "d1", "US")]
    new_country = [*history, signin(5, "d1", "NG")]
    too_late = [*history, signin(80, "d9", "NG")]
    assert new_device_after_reset([reset(9, at)], known_again, UTC) == []
    assert new_device_after_reset([reset(9, at)], too_late, UTC) == []
    items = new_device_after_reset([reset(9, at)], new_country, UTC)
    assert [(i.kind, i.seqs) for i in items] == [("new_device_after_reset", [9])]
    assert items[0].title == "u1: sign-in from a new country 5 hours after a reset"
    # With no sign-ins before the reset there is nothing to call new.
    assert new_device_after_reset([reset(9, at)], [signin(2, "d2", "NG")], UTC) == []


async def test_the_review_queue_links_to_entries_a_lead_can_open(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    # Marisol Baca (u1001) gets a Tor sign-in from Frankfurt 22.5 h before now in the demo
    # world; a reset 30 h ago puts that sign-in 7.5 h after it.
    seq = await add_entry(ctx, actor="demo-agent2", user="u1001", ago=timedelta(hours=30))
    await sign_in_as(client, ctx, "demo-lead")
    queue = await client.audit_review()
    found = [i for i in queue.items if i.kind == "new_device_after_reset" and i.user == "u1001"]
    assert len(found) == 1
    assert found[0].title == "u1001: sign-in from a new device and country 8 hours after a reset"
    assert "Frankfurt" in found[0].detail and "demo-agent2" in found[0].detail
    linked = await client.audit_find(AuditFilter(), seqs=found[0].seqs)
    assert [(e.seq, e.action, e.target_user) for e in linked.entries] == [
        (seq, "mfa.reset", "u1001")
    ]


async def test_only_resets_that_happened_count_not_requests_or_refusals(
    client: SupportDeskClient, ctx: ServiceContext
) -> None:
    for outcome in ("pending_approval", "refused"):
        await add_entry(
            ctx, actor="demo-agent2", user="u1001", ago=timedelta(hours=30), outcome=outcome
        )
    await sign_in_as(client, ctx, "demo-lead")
    queue = await client.audit_review()
    assert not [i for i in queue.items if i.user == "u1001"]
    await add_entry(ctx, actor="demo-agent2", user="u1001", ago=timedelta(hours=30))
    queue = await client.audit_review()
    assert [i.kind for i in queue.items if i.user == "u1001"] == ["new_device_after_reset"]
