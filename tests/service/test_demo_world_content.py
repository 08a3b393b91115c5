"""The demo world's content: what a presenter relies on being there, checked on the raw data.

Phone numbers are checked with ``phonenumbers`` itself, risk signals by replaying each
user's sign-ins by hand (first-seen devices and cities, distance over time, IP
reputation), and finally against the desk's own risk rules so nothing in the demo
contradicts what the desk will say about it.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from itertools import pairwise
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from supportdesk.rules.risk import Signal, SignIn, explain_signins
from supportdesk.rules.sms_countries import is_sms_country
from supportdesk.service.demo.model import DemoSignIn, DemoTicket, DemoUser
from supportdesk.service.demo.world import NOTE_KEYS, demo_world

WORLD = demo_world()
USERS = {u.id: u for u in WORLD.users}
TICKETS = {t.id: t for t in WORLD.tickets}
NOTES = WORLD.notes

PNT = phonenumbers.PhoneNumberType
DOC_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
LANDLINE_USERS = {NOTES["landline_user"], "u1016"}
"""Users who registered an office landline as their SMS factor."""
FOREIGN_SIMS = {"u1022": "RU"}
"""SMS numbers deliberately from another country than the user's office."""
WHY_SUBJECT = re.compile(r"\bwhy\b|again|every time", re.I)
"""How the "why was I prompted" tickets are worded."""


def user(key: str) -> DemoUser:
    return USERS[NOTES[key]]


def ticket(key: str) -> DemoTicket:
    return TICKETS[NOTES[key]]


def factor_types(u: DemoUser) -> frozenset[str]:
    return frozenset(f.type for f in u.factors)


def sms_numbers(u: DemoUser) -> list[phonenumbers.PhoneNumber]:
    return [phonenumbers.parse(f.phone) for f in u.factors if f.type == "sms" and f.phone]


def oldest_first(u: DemoUser) -> list[DemoSignIn]:
    return sorted(u.signins, key=lambda s: -s.hours_ago)


def km(a: DemoSignIn, b: DemoSignIn) -> float:
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi, dlmb = phi2 - phi1, math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# --- shape and counts -------------------------------------------------------------


def test_the_world_is_deterministic() -> None:
    assert demo_world() == WORLD


def test_counts_a_presenter_promises() -> None:
    individuals = [u for u in WORLD.users if u.kind == "individual"]
    assert len(WORLD.users) >= 28
    assert len(individuals) >= 26
    assert len({u.region for u in WORLD.users}) >= 12
    assert len(WORLD.tickets) >= 14
    assert len({u.company for u in WORLD.users}) >= 10


def test_agents_and_the_shared_demo_password() -> None:
    roles = {a.username: a.role for a in WORLD.agents}
    assert roles == {"demo-agent": "agent", "demo-agent2": "agent", "demo-lead": "lead"}
    assert all(a.display_name.strip() for a in WORLD.agents)
    assert WORLD.password == "demo"


def test_ids_and_emails_are_unique_and_well_formed() -> None:
    ids = [u.id for u in WORLD.users]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"u1\d{3}", i) for i in ids)
    emails = [u.email.lower() for u in WORLD.users]
    assert len(emails) == len(set(emails))
    assert all(re.fullmatch(r"[a-z0-9.\-]+@[a-z0-9\-]+\.example", e) for e in emails)
    ticket_ids = [t.id for t in WORLD.tickets]
    assert len(ticket_ids) == len(set(ticket_ids))
    assert all(re.fullmatch(r"T-\d{4}", i) for i in ticket_ids)


def test_everyone_at_a_company_shares_its_mail_domain() -> None:
    domains: dict[str, set[str]] = {}
    for u in WORLD.users:
        domains.setdefault(u.company, set()).add(u.email.split("@")[1])
    assert all(len(d) == 1 for d in domains.values()), domains
    all_domains = [next(iter(d)) for d in domains.values()]
    assert len(all_domains) == len(set(all_domains))


def test_timezones_are_real_and_belong_to_the_office_country() -> None:
    tzdata = pytest.importorskip("tzdata")
    table = resources.files(tzdata.__name__).joinpath("zoneinfo", "zone.tab").read_text()
    zones_of: dict[str, set[str]] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _coords, zone, *_ = line.split("\t")
            zones_of.setdefault(country, set()).add(zone)
    for u in WORLD.users:
        ZoneInfo(u.timezone)  # raises for an unknown zone
        assert u.timezone in zones_of.get(u.region, set()), (u.id, u.region, u.timezone)


# --- phone numbers ----------------------------------------------------------------


def test_every_phone_number_is_valid_e164_and_only_on_sms_factors() -> None:
    for u in WORLD.users:
        for f in u.factors:
            if f.type != "sms":
                assert f.phone is None, (u.id, f)
                continue
            assert f.phone is not None
            number = phonenumbers.parse(f.phone)
            assert phonenumbers.is_valid_number(number), (u.id, f.phone)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            assert e164 == f.phone, (u.id, f.phone)


def test_landlines_are_fixed_lines_and_the_rest_can_take_texts() -> None:
    fixed = set()
    for u in WORLD.users:
        for number in sms_numbers(u):
            kind = phonenumbers.number_type(number)
            if kind == PNT.FIXED_LINE:
                fixed.add(u.id)
            else:
                assert kind in (PNT.MOBILE, PNT.FIXED_LINE_OR_MOBILE), (u.id, number)
    assert fixed == LANDLINE_USERS
    # Both landlines sit in SMS countries: the line type is the only thing wrong.
    for uid in LANDLINE_USERS:
        assert all(
            is_sms_country(phonenumbers.region_code_for_number(n)) for n in sms_numbers(USERS[uid])
        )


def test_numbers_belong_to_the_office_country_unless_deliberately_foreign() -> None:
    for u in WORLD.users:
        for number in sms_numbers(u):
            region = phonenumbers.region_code_for_number(number)
            assert region == FOREIGN_SIMS.get(u.id, u.region), (u.id, region)


def test_the_tricky_numbers_are_what_the_story_says() -> None:
    (iom,) = sms_numbers(user("isle_of_man_user"))
    assert iom.country_code == 44 and phonenumbers.region_code_for_number(iom) == "IM"
    assert phonenumbers.number_type(iom) == PNT.MOBILE
    (dom,) = sms_numbers(user("dominican_user"))
    assert dom.country_code == 1 and phonenumbers.region_code_for_number(dom) == "DO"
    (bra,) = sms_numbers(user("brazil_user"))
    assert phonenumbers.region_code_for_number(bra) == "BR"
    assert phonenumbers.number_type(bra) == PNT.MOBILE
    for number in (iom, dom, bra):
        assert not is_sms_country(phonenumbers.region_code_for_number(number))
    # A +1 number that does work (Jamaica), next to the Dominican one that does not.
    regions = {phonenumbers.region_code_for_number(n) for u in WORLD.users for n in sms_numbers(u)}
    assert {"JM", "RU", "FR", "IT"} <= regions


def test_supported_country_mobiles_are_on_file() -> None:
    mobile_regions = {
        phonenumbers.region_code_for_number(n)
        for u in WORLD.users
        for n in sms_numbers(u)
        if phonenumbers.number_type(n) in (PNT.MOBILE, PNT.FIXED_LINE_OR_MOBILE)
    }
    assert {"US", "CA", "GB", "DE", "MX", "IN", "PL", "NL", "ES", "UA", "JM"} <= mobile_regions
    assert all(is_sms_country(r) for r in {"US", "CA", "GB", "DE", "MX", "IN", "JM"})


def test_no_ticket_quotes_a_full_phone_number() -> None:
    numbers = {f.phone.lstrip("+") for u in WORLD.users for f in u.factors if f.phone}
    for t in WORLD.tickets:
        digits = re.sub(r"\D", "", t.text + t.subject)
        assert not any(n[-9:] in digits for n in numbers), t.id


# --- factors and accounts -----------------------------------------------------------


def test_factor_fields_fit_their_type_and_time() -> None:
    for u in WORLD.users:
        for f in u.factors:
            assert f.label.strip()
            assert (f.key_model is not None) == (f.type == "security_key"), (u.id, f)
            assert f.created_days_ago <= u.created_days_ago, (u.id, f)
            if f.last_used_days_ago is not None:
                assert 0 <= f.last_used_days_ago <= f.created_days_ago, (u.id, f)
        assert len({f.type for f in u.factors if f.type != "sms"}) == len(
            [f for f in u.factors if f.type != "sms"]
        ), u.id


def test_every_factor_mix_is_present() -> None:
    mixes = Counter(factor_types(u) for u in WORLD.users if u.kind == "individual")
    for mix in (
        {"totp"},
        {"sms"},
        {"totp", "sms"},
        {"security_key"},
        {"security_key", "totp"},
        {"totp", "sms", "security_key"},
        set(),
    ):
        assert mixes[frozenset(mix)] >= 1, mix
    models = {f.key_model for u in WORLD.users for f in u.factors if f.key_model}
    assert any("YubiKey" in m for m in models) and any("Feitian" in m for m in models)


def test_mfa_status_matches_factors() -> None:
    for u in WORLD.users:
        if u.mfa_status == "setup_required":
            assert u.factors == (), u.id
        else:
            assert u.factors, u.id
    assert user("setup_required_user").mfa_status == "setup_required"
    assert user("setup_required_user").kind == "individual"


def test_exactly_two_service_accounts_without_factors() -> None:
    services = [u for u in WORLD.users if u.kind == "service"]
    assert len(services) == 2
    for s in services:
        assert s.factors == () and s.mfa_status == "setup_required"
        assert not s.is_admin and not s.is_staff
    assert user("service_account").kind == "service"


def test_admins_staff_and_the_recent_reset() -> None:
    admins = [u for u in WORLD.users if u.is_admin]
    assert len(admins) >= 3
    assert any(len(u.factors) == 1 for u in admins)
    assert user("admin_user").is_admin and len(user("admin_user").factors) == 1
    staff = [u for u in WORLD.users if u.is_staff]
    assert len(staff) >= 1 and all(u.kind == "individual" for u in staff)
    reset = user("recent_reset_user")
    assert reset.last_mfa_reset_days_ago == 3
    assert reset.factors and all(f.created_days_ago <= 3 for f in reset.factors)


def test_phone_clocks() -> None:
    slow = user("slow_clock")
    assert slow.clock_offset_s == -150 and "totp" in factor_types(slow)
    wrong_zone = user("wrong_time_zone")
    assert -3630 <= wrong_zone.clock_offset_s <= -3570 and wrong_zone.clock_offset_s != -3600
    assert "totp" in factor_types(wrong_zone)
    drifting = {u.id for u in WORLD.users if u.clock_offset_s}
    assert drifting == {slow.id, wrong_zone.id}
    assert all(a.clock_offset_s == 0 for a in WORLD.agents)


# --- notes --------------------------------------------------------------------------


def test_notes_name_existing_accounts_and_tickets() -> None:
    assert set(NOTES) == set(NOTE_KEYS)
    for key, value in NOTES.items():
        if key.endswith("_ticket"):
            assert value in TICKETS, key
        else:
            assert value in USERS, key


# --- tickets ------------------------------------------------------------------------


def test_tickets_are_well_formed() -> None:
    for t in WORLD.tickets:
        assert t.user_id in USERS, t.id
        assert t.channel in ("messenger", "email")
        assert 3 <= t.age_minutes <= 3 * 24 * 60, t.id
        assert t.subject.strip() and len(t.subject) <= 80 and "\n" not in t.subject
        assert len(t.text) > len(t.subject), t.id
    assert {t.channel for t in WORLD.tickets} == {"messenger", "email"}
    assert len({t.age_minutes for t in WORLD.tickets}) == len(WORLD.tickets)


def test_headline_tickets_read_as_the_story_says() -> None:
    sms = ticket("sms_ticket")
    assert "not getting the text" in sms.subject.lower()
    (number,) = sms_numbers(USERS[sms.user_id])
    assert is_sms_country(phonenumbers.region_code_for_number(number))
    assert phonenumbers.number_type(number) != PNT.FIXED_LINE

    invalid = ticket("code_invalid_ticket")
    assert "code is invalid" in invalid.subject.lower()
    assert invalid.user_id == NOTES["slow_clock"]

    lost = ticket("lost_phone_ticket")
    assert "lost my phone" in lost.subject.lower()
    assert factor_types(USERS[lost.user_id]) - {"totp", "sms"}  # something is left

    admin = ticket("admin_lost_phone_ticket")
    assert admin.user_id == NOTES["admin_user"]

    assert USERS[ticket("service_account_ticket").user_id].kind == "service"


def test_every_branch_has_its_tickets() -> None:
    by_user: dict[str, list[DemoTicket]] = {}
    for t in WORLD.tickets:
        by_user.setdefault(t.user_id, []).append(t)
    for key in (
        "brazil_user",
        "isle_of_man_user",
        "landline_user",
        "dominican_user",
        "wrong_time_zone",
        "slow_clock",
        "setup_required_user",
        "recent_reset_user",
    ):
        assert NOTES[key] in by_user, key
    # Lost phone with nothing left, and a lost YubiKey.
    assert any(
        factor_types(USERS[t.user_id]) == {"totp"}
        and not USERS[t.user_id].is_admin
        and re.search(r"lost|stolen", t.subject, re.I)
        for t in WORLD.tickets
    )
    assert any(
        factor_types(USERS[t.user_id]) == {"security_key"} and "yubikey" in t.subject.lower()
        for t in WORLD.tickets
    )
    # Both service accounts wrote in (through their owners' mailboxes).
    assert sum(USERS[t.user_id].kind == "service" for t in WORLD.tickets) == 2
    # "Why does it keep asking" from several users, each with a prompted risky sign-in.
    why = [t for t in WORLD.tickets if WHY_SUBJECT.search(t.subject)]
    assert len(why) >= 4
    assert NOTES["why_prompted_ticket"] in {t.id for t in why}


# --- sign-ins and risk signals ---------------------------------------------------------


def test_signins_use_documentation_addresses_and_real_coordinates() -> None:
    coords: dict[tuple[str, str], tuple[float, float]] = {}
    for u in WORLD.users:
        for s in u.signins:
            address = ipaddress.ip_address(s.ip)
            assert any(address in net for net in DOC_NETWORKS), (u.id, s.ip)
            assert -90 <= s.lat <= 90 and -180 <= s.lon <= 180
            assert s.hours_ago > 0
            assert coords.setdefault((s.city, s.country), (s.lat, s.lon)) == (s.lat, s.lon)
            if s.mfa_passed is not None:
                assert s.mfa_prompted, (u.id, s)
            if s.ip_reputation != "good":
                assert s.mfa_prompted, (u.id, s)
        times = [s.hours_ago for s in u.signins]
        assert len(times) == len(set(times)), u.id


def test_many_users_have_a_plain_trusted_history() -> None:
    plain = 0
    for u in WORLD.users:
        events = oldest_first(u)
        if len(events) < 5:
            continue
        first, rest = events[0], events[1:]
        if all(
            (s.device_id, s.city, s.ip_reputation, s.mfa_prompted)
            == (first.device_id, first.city, "good", False)
            for s in rest
        ):
            plain += 1
    assert plain >= 12


def test_new_device_signal_is_visible() -> None:
    def last_device_is_new(u: DemoUser) -> bool:
        events = oldest_first(u)
        return (
            len(events) >= 3
            and events[-1].mfa_prompted
            and events[-1].device_id not in {s.device_id for s in events[:-1]}
        )

    assert any(last_device_is_new(u) for u in WORLD.users)


def test_new_location_signal_is_visible() -> None:
    def new_city_on_known_device(u: DemoUser) -> bool:
        events = oldest_first(u)
        for n, s in enumerate(events[1:], start=1):
            earlier = events[:n]
            if (
                s.mfa_prompted
                and s.city not in {e.city for e in earlier}
                and s.device_id in {e.device_id for e in earlier}
                and s.ip_reputation == "good"
            ):
                return True
        return False

    assert any(new_city_on_known_device(u) for u in WORLD.users)


def test_impossible_travel_is_visible() -> None:
    hops = []
    for u in WORLD.users:
        events = oldest_first(u)
        for a, b in pairwise(events):
            if km(a, b) > 500 and a.hours_ago - b.hours_ago < 2 and b.mfa_prompted:
                hops.append((u.id, a.city, b.city))
    assert any(origin == "Chicago" and dest == "Lagos" for _, origin, dest in hops), hops
    assert len({uid for uid, _, _ in hops}) >= 2


def test_untrusted_ip_signal_is_visible() -> None:
    reputations = {s.ip_reputation for u in WORLD.users for s in u.signins}
    assert {"proxy", "tor", "bad"} <= reputations


def test_the_demo_agrees_with_the_desks_risk_rules() -> None:
    """No sign-in contradicts the rules (a missed prompt), and every signal fires somewhere."""
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    fired: dict[Signal, set[str]] = {signal: set() for signal in Signal}
    for u in WORLD.users:
        events = [
            SignIn(
                at=now - timedelta(hours=s.hours_ago),
                device_id=s.device_id,
                device_name=s.device_name,
                ip=s.ip,
                city=s.city,
                country=s.country,
                lat=s.lat,
                lon=s.lon,
                ip_reputation=s.ip_reputation,
                mfa_prompted=s.mfa_prompted,
                mfa_passed=s.mfa_passed,
            )
            for s in oldest_first(u)
        ]
        for explained in explain_signins(events):
            assert not explained.anomalous, (u.id, explained.explanation)
            for signal in explained.fired:
                fired[signal].add(u.id)
    assert all(fired.values()), fired
    why_user = ticket("why_prompted_ticket").user_id
    assert sum(why_user in users for users in fired.values()) >= 3
    signalled = set().union(*fired.values())
    for t in WORLD.tickets:
        if WHY_SUBJECT.search(t.subject):
            assert t.user_id in signalled, t.id


def test_a_passed_prompt_shows_in_some_factors_last_use() -> None:
    for u in WORLD.users:
        passed = [s.hours_ago for s in u.signins if s.mfa_passed]
        if not passed:
            continue
        used = [f.last_used_days_ago for f in u.factors if f.last_used_days_ago is not None]
        assert used and min(used) <= math.ceil(min(passed) / 24), u.id
