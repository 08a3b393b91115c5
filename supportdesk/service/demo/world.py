"""The demo world's content: Alvys customers, their MFA factors, sign-ins and open tickets.

Plain data, deterministic, no I/O. Times are relative to the moment of seeding
(``hours_ago``, ``age_minutes``, ``days_ago``); ``seed.seed_world`` turns them into
timestamps. Every phone number is valid for its country according to ``phonenumbers``,
every IP address sits in a documentation range (RFC 5737 / RFC 3849) and every city has
its real coordinates, so the desk's phone and risk rules work on this world unchanged.

The customer base is a trucking-software one: carriers, brokers and fleets in 17
countries. The stories a presenter needs are named in ``notes`` (see ``NOTE_KEYS``):

- SMS not received: a US dispatcher whose mobile is fine (the SMS simulator decides
  whether delivery is late), a Brazilian mobile, a Manx ``+44 7624`` mobile, a
  Dominican ``+1 809`` number, a Russian SIM on a Lithuanian account and an office
  landline registered as the SMS factor (a second landline sits on a German account
  as a silent dead backup).
- Code not accepted: an authenticator phone 2 min 30 s slow, and one set to the wrong
  time zone by hand (about an hour slow).
- Lost phone or key: with a security key left, with nothing left, a lost YubiKey that
  was the only factor, and an admin whose only factor was on the phone.
- Why was I prompted: a new location, a flagged hotel IP and a borrowed device at a
  trade show; impossible travel (Chicago, then Lagos 1 h 45 min later, MFA failed); a
  VPN exit abroad flagged as a proxy; a new laptop; a new phone after an MFA reset.
- Service accounts: an ELD integration and a load-board bot blocked by enforcement.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from supportdesk.service.demo.model import (
    DemoAgent,
    DemoFactor,
    DemoSignIn,
    DemoTicket,
    DemoUser,
    DemoWorld,
)

NOTE_KEYS: tuple[str, ...] = (
    "slow_clock",
    "wrong_time_zone",
    "sms_ticket",
    "code_invalid_ticket",
    "lost_phone_ticket",
    "service_account_ticket",
    "admin_lost_phone_ticket",
    "why_prompted_ticket",
    "landline_user",
    "isle_of_man_user",
    "brazil_user",
    "dominican_user",
    "setup_required_user",
    "admin_user",
    "recent_reset_user",
    "service_account",
)
"""The keys of ``DemoWorld.notes``: the accounts and tickets a presenter walks through."""

Reputation = Literal["good", "unknown", "proxy", "tor", "bad"]


class _Place(NamedTuple):
    city: str
    country: str  # ISO alpha-2
    lat: float
    lon: float


_ALBUQUERQUE = _Place("Albuquerque", "US", 35.0844, -106.6504)
_CHICAGO = _Place("Chicago", "US", 41.8781, -87.6298)
_DALLAS = _Place("Dallas", "US", 32.7767, -96.7970)
_PORTLAND = _Place("Portland", "US", 45.5152, -122.6784)
_TACOMA = _Place("Tacoma", "US", 47.2529, -122.4443)
_ATLANTA = _Place("Atlanta", "US", 33.7490, -84.3880)
_ASHBURN = _Place("Ashburn", "US", 39.0438, -77.4874)
_COLUMBUS = _Place("Columbus", "US", 39.9612, -82.9988)
_LOUISVILLE = _Place("Louisville", "US", 38.2527, -85.7585)
_TORONTO = _Place("Toronto", "CA", 43.6532, -79.3832)
_MISSISSAUGA = _Place("Mississauga", "CA", 43.5890, -79.6441)
_MONTERREY = _Place("Monterrey", "MX", 25.6866, -100.3161)
_KINGSTON = _Place("Kingston", "JM", 17.9712, -76.7936)
_SANTO_DOMINGO = _Place("Santo Domingo", "DO", 18.4861, -69.9312)
_CAMPINAS = _Place("Campinas", "BR", -22.9099, -47.0626)
_LEEDS = _Place("Leeds", "GB", 53.8008, -1.5491)
_DOUGLAS = _Place("Douglas", "IM", 54.1523, -4.4861)
_DUISBURG = _Place("Duisburg", "DE", 51.4344, 6.7623)
_FRANKFURT = _Place("Frankfurt am Main", "DE", 50.1109, 8.6821)
_ROTTERDAM = _Place("Rotterdam", "NL", 51.9244, 4.4777)
_AMSTERDAM = _Place("Amsterdam", "NL", 52.3676, 4.9041)
_POZNAN = _Place("Poznań", "PL", 52.4064, 16.9252)
_VILNIUS = _Place("Vilnius", "LT", 54.6872, 25.2797)
_KAUNAS = _Place("Kaunas", "LT", 54.8985, 23.9036)
_ZARAGOZA = _Place("Zaragoza", "ES", 41.6488, -0.8891)
_LYON = _Place("Lyon", "FR", 45.7640, 4.8357)
_VERONA = _Place("Verona", "IT", 45.4384, 10.9916)
_LVIV = _Place("Lviv", "UA", 49.8397, 24.0297)
_PUNE = _Place("Pune", "IN", 18.5204, 73.8567)
_LAGOS = _Place("Lagos", "NG", 6.5244, 3.3792)


# --- small builders ------------------------------------------------------------------


def _totp(label: str, created: int = 200, used: int | None = 1) -> DemoFactor:
    return DemoFactor(type="totp", label=label, created_days_ago=created, last_used_days_ago=used)


def _sms(label: str, phone: str, created: int = 200, used: int | None = 2) -> DemoFactor:
    return DemoFactor(
        type="sms", label=label, phone=phone, created_days_ago=created, last_used_days_ago=used
    )


def _key(label: str, model: str, created: int = 200, used: int | None = 1) -> DemoFactor:
    return DemoFactor(
        type="security_key",
        label=label,
        key_model=model,
        created_days_ago=created,
        last_used_days_ago=used,
    )


def _at(
    place: _Place,
    hours_ago: float,
    device_id: str,
    device_name: str,
    ip: str,
    *,
    reputation: Reputation = "good",
    prompted: bool = False,
    passed: bool | None = None,
) -> DemoSignIn:
    """One sign-in; `passed` is None for a prompt nobody answered."""
    return DemoSignIn.ago(
        hours_ago,
        device_id=device_id,
        device_name=device_name,
        ip=ip,
        city=place.city,
        country=place.country,
        lat=place.lat,
        lon=place.lon,
        ip_reputation=reputation,
        mfa_prompted=prompted,
        mfa_passed=passed,
    )


def _routine(
    place: _Place, device_id: str, device_name: str, ip: str, hours: tuple[float, ...]
) -> tuple[DemoSignIn, ...]:
    """Everyday sign-ins from one device and office, oldest first.

    The oldest one on record had no trusted history behind it, so it was prompted (and
    passed); the rest come from a recognised device and place and were let through.
    """
    ordered = sorted(hours, reverse=True)
    return tuple(
        _at(
            place,
            h,
            device_id,
            device_name,
            ip,
            prompted=n == 0,
            passed=True if n == 0 else None,
        )
        for n, h in enumerate(ordered)
    )


def _history(*parts: tuple[DemoSignIn, ...] | DemoSignIn) -> tuple[DemoSignIn, ...]:
    """Sign-ins from several pieces, merged oldest first."""
    events: list[DemoSignIn] = []
    for part in parts:
        events.extend(part if isinstance(part, tuple) else (part,))
    return tuple(sorted(events, key=lambda e: -e.hours_ago))


# --- the people ----------------------------------------------------------------------

_WIN_CHROME = "Windows 11 · Chrome"
_MAC_SAFARI = "macOS · Safari"
_MAC_CHROME = "macOS · Chrome"
_WIN_EDGE = "Windows 11 · Edge"


def _users() -> tuple[DemoUser, ...]:
    return (
        # Red Mesa Freight — asset carrier, Albuquerque NM
        DemoUser(
            id="u1001",
            name="Marisol Baca",
            email="marisol.baca@redmesafreight.example",
            company="Red Mesa Freight",
            region="US",
            timezone="America/Denver",
            is_admin=True,
            factors=(
                _totp("Google Authenticator (iPhone)", created=380),
                _sms("My cell", "+15055550147", created=380, used=40),
                _key("YubiKey on lanyard", "YubiKey 5 NFC", created=200, used=5),
            ),
            signins=_history(
                _routine(
                    _ALBUQUERQUE,
                    "u1001-mbp",
                    "MacBook Pro · Safari",
                    "192.0.2.10",
                    (700, 530, 410, 300, 190, 120, 75, 28, 5),
                ),
                # Someone tried her password through Tor and failed the MFA prompt.
                _at(
                    _FRANKFURT,
                    22.5,
                    "u1001-unknown-tor",
                    "Linux · Firefox",
                    "198.51.100.201",
                    reputation="tor",
                    prompted=True,
                    passed=False,
                ),
            ),
            created_days_ago=900,
        ),
        DemoUser(
            id="u1002",
            name="Tyler Brooks",
            email="tyler.brooks@redmesafreight.example",
            company="Red Mesa Freight",
            region="US",
            timezone="America/Denver",
            # A normal US mobile: whether delivery is late is up to the SMS simulator.
            factors=(_sms("Cell", "+15055550162", created=150, used=6),),
            signins=_history(
                _routine(
                    _ALBUQUERQUE,
                    "u1002-dispatch-pc",
                    _WIN_CHROME,
                    "192.0.2.21",
                    (640, 470, 330, 220, 150, 97, 49, 25),
                ),
                _at(
                    _ALBUQUERQUE,
                    0.25,
                    "u1002-dispatch-pc",
                    _WIN_CHROME,
                    "192.0.2.21",
                    prompted=True,
                ),
                _at(
                    _ALBUQUERQUE,
                    0.18,
                    "u1002-dispatch-pc",
                    _WIN_CHROME,
                    "192.0.2.21",
                    prompted=True,
                ),
            ),
            created_days_ago=420,
        ),
        # Great Lakes Dry Van Co. — carrier, Chicago IL
        DemoUser(
            id="u1003",
            name="Kevin O'Malley",
            email="kevin.omalley@greatlakesdryvan.example",
            company="Great Lakes Dry Van Co.",
            region="US",
            timezone="America/Chicago",
            factors=(
                _totp("Microsoft Authenticator", created=300),
                _sms("Work mobile", "+13125550176", created=300, used=30),
            ),
            signins=_history(
                _routine(
                    _CHICAGO,
                    "u1003-macbook",
                    "MacBook Air · Chrome",
                    "198.51.100.14",
                    (610, 440, 300, 200, 122, 74, 30, 3.5),
                ),
                # Impossible travel: Lagos 1 h 45 min after Chicago. The attacker asked for
                # the SMS code, which went to Kevin's phone and was never entered.
                _at(
                    _LAGOS,
                    1.75,
                    "u1003-unknown-win",
                    "Windows 10 · Edge",
                    "203.0.113.66",
                    reputation="unknown",
                    prompted=True,
                    passed=False,
                ),
                _at(_CHICAGO, 1.3, "u1003-macbook", "MacBook Air · Chrome", "198.51.100.14"),
            ),
            created_days_ago=700,
        ),
        DemoUser(
            id="u1004",
            name="Denise Washington",
            email="denise.washington@greatlakesdryvan.example",
            company="Great Lakes Dry Van Co.",
            region="US",
            timezone="America/Chicago",
            is_admin=True,
            # The admin with a single factor, on the phone that went into the lake.
            factors=(_totp("Authy", created=500, used=3),),
            signins=_history(
                _routine(
                    _CHICAGO,
                    "u1004-thinkpad",
                    "ThinkPad T14 · Edge",
                    "198.51.100.30",
                    (720, 500, 360, 240, 168, 96, 74),
                ),
                _at(
                    _CHICAGO,
                    0.2,
                    "u1004-thinkpad",
                    "ThinkPad T14 · Edge",
                    "198.51.100.30",
                    prompted=True,
                ),
            ),
            created_days_ago=1100,
        ),
        # Lone Star Reefer Lines — refrigerated carrier, Dallas TX
        DemoUser(
            id="u1005",
            name="Ray Castillo",
            email="ray.castillo@lonestarreefer.example",
            company="Lone Star Reefer Lines",
            region="US",
            timezone="America/Chicago",
            factors=(_totp("Google Authenticator", created=240, used=8),),
            clock_offset_s=-150,  # the phone runs 2 min 30 s slow
            signins=_history(
                _routine(
                    _DALLAS,
                    "u1005-desk",
                    "Windows 10 · Chrome",
                    "203.0.113.40",
                    (580, 410, 290, 170, 100, 52, 27),
                ),
                _at(
                    _DALLAS,
                    0.4,
                    "u1005-desk",
                    "Windows 10 · Chrome",
                    "203.0.113.40",
                    prompted=True,
                    passed=False,
                ),
                _at(
                    _DALLAS,
                    0.3,
                    "u1005-desk",
                    "Windows 10 · Chrome",
                    "203.0.113.40",
                    prompted=True,
                    passed=False,
                ),
            ),
            created_days_ago=610,
        ),
        DemoUser(
            id="u1006",
            name="Jenna Kowalczyk",
            email="jenna.kowalczyk@lonestarreefer.example",
            company="Lone Star Reefer Lines",
            region="US",
            timezone="America/Chicago",
            factors=(
                _totp("1Password", created=260),
                _sms("Cell", "+12145550160", created=260, used=90),
            ),
            signins=_routine(
                _DALLAS,
                "u1006-laptop",
                "HP EliteBook · Chrome",
                "203.0.113.41",
                (690, 505, 380, 262, 170, 99, 51, 26, 2),
            ),
            created_days_ago=800,
        ),
        DemoUser(
            id="u1032",
            name="Ethan Morales",
            email="ethan.morales@lonestarreefer.example",
            company="Lone Star Reefer Lines",
            region="US",
            timezone="America/Chicago",
            mfa_status="setup_required",
            signins=(
                _at(_DALLAS, 0.5, "u1032-new-pc", _WIN_CHROME, "203.0.113.42", prompted=True),
                _at(_DALLAS, 0.4, "u1032-new-pc", _WIN_CHROME, "203.0.113.42", prompted=True),
            ),
            created_days_ago=1,
        ),
        # Cascade Freight Brokerage — freight broker, Portland OR
        DemoUser(
            id="u1007",
            name="Brian Nguyen",
            email="brian.nguyen@cascadefreight.example",
            company="Cascade Freight Brokerage",
            region="US",
            timezone="America/Los_Angeles",
            factors=(
                _totp("Google Authenticator (Pixel)", created=330, used=1),
                _key("Keyring key", "YubiKey 5C NFC", created=120, used=60),
            ),
            signins=_history(
                _routine(
                    _PORTLAND,
                    "u1007-xps",
                    "Dell XPS · Chrome",
                    "192.0.2.33",
                    (660, 480, 350, 230, 140, 90, 47, 23),
                ),
                _at(_PORTLAND, 0.5, "u1007-xps", "Dell XPS · Chrome", "192.0.2.33", prompted=True),
            ),
            created_days_ago=520,
        ),
        DemoUser(
            id="u1008",
            name="Amanda Pierce",
            email="amanda.pierce@cascadefreight.example",
            company="Cascade Freight Brokerage",
            region="US",
            timezone="America/Los_Angeles",
            factors=(_totp("Authenticator on my phone", created=180, used=3),),
            signins=_history(
                _routine(
                    _PORTLAND,
                    "u1008-surface",
                    "Surface Laptop · Edge",
                    "192.0.2.34",
                    (700, 520, 380, 250, 160, 100, 75),
                ),
                _at(
                    _PORTLAND,
                    48.0,
                    "u1008-surface",
                    "Surface Laptop · Edge",
                    "192.0.2.34",
                    prompted=True,
                ),
                _at(
                    _PORTLAND,
                    47.6,
                    "u1008-surface",
                    "Surface Laptop · Edge",
                    "192.0.2.34",
                    prompted=True,
                ),
            ),
            created_days_ago=450,
        ),
        DemoUser(
            id="u1035",
            name="Sean Gallagher",
            email="sean.gallagher@cascadefreight.example",
            company="Cascade Freight Brokerage",
            region="US",
            timezone="America/Los_Angeles",
            # Old phone died; support reset MFA 3 days ago and he enrolled the new iPhone.
            factors=(_totp("Google Authenticator (new iPhone)", created=3, used=0),),
            last_mfa_reset_days_ago=3,
            signins=_history(
                _routine(
                    _PORTLAND,
                    "u1035-macbook",
                    _MAC_CHROME,
                    "192.0.2.35",
                    (650, 470, 330, 210, 140, 100),
                ),
                # Re-enrolment right after the reset.
                _at(
                    _PORTLAND,
                    71.0,
                    "u1035-macbook",
                    _MAC_CHROME,
                    "192.0.2.35",
                    prompted=True,
                    passed=True,
                ),
                # First sign-in from the new phone: a new device.
                _at(
                    _PORTLAND,
                    50.0,
                    "u1035-iphone15",
                    "iPhone 15 · Alvys app",
                    "192.0.2.35",
                    prompted=True,
                    passed=True,
                ),
                _at(_PORTLAND, 26.0, "u1035-macbook", _MAC_CHROME, "192.0.2.35"),
                # At a customer's warehouse: a new location.
                _at(
                    _TACOMA,
                    1.0,
                    "u1035-iphone15",
                    "iPhone 15 · Alvys app",
                    "2001:db8:3e1:7::42",
                    prompted=True,
                    passed=True,
                ),
            ),
            created_days_ago=380,
        ),
        # Alvys itself — an internal staff account
        DemoUser(
            id="u1031",
            name="Priya Raman",
            email="priya.raman@alvys.example",
            company="Alvys",
            region="US",
            timezone="America/New_York",
            is_staff=True,
            factors=(
                _key("Work YubiKey", "YubiKey 5C NFC", created=400, used=0),
                _totp("1Password", created=400, used=30),
            ),
            signins=_routine(
                _ATLANTA,
                "u1031-mbp",
                "MacBook Pro · Chrome",
                "2001:db8:1c::8",
                (710, 540, 420, 300, 190, 140, 98, 50, 22, 1.5),
            ),
            created_days_ago=1200,
        ),
        # Maple Corridor Logistics — cross-border carrier, Toronto ON
        DemoUser(
            id="u1009",
            name="Sophie Tremblay",
            email="sophie.tremblay@maplecorridor.example",
            company="Maple Corridor Logistics",
            region="CA",
            timezone="America/Toronto",
            factors=(
                _totp("Microsoft Authenticator", created=300, used=0),
                _sms("Mobile", "+14165550111", created=300, used=120),
            ),
            signins=_history(
                _routine(
                    _TORONTO,
                    "u1009-mbp",
                    "MacBook Pro · Chrome",
                    "192.0.2.55",
                    (690, 520, 380, 260, 180, 130, 100),
                ),
                # At a trade show in Louisville: a new city, ...
                _at(
                    _LOUISVILLE,
                    70.0,
                    "u1009-mbp",
                    "MacBook Pro · Chrome",
                    "198.51.100.77",
                    prompted=True,
                    passed=True,
                ),
                # ... the hotel's Wi-Fi, whose address is known for abuse, ...
                _at(
                    _LOUISVILLE,
                    46.0,
                    "u1009-mbp",
                    "MacBook Pro · Chrome",
                    "203.0.113.201",
                    reputation="bad",
                    prompted=True,
                    passed=True,
                ),
                # ... the booth's iPad, a device never seen before, ...
                _at(
                    _LOUISVILLE,
                    22.0,
                    "u1009-booth-ipad",
                    "iPad · Safari",
                    "198.51.100.77",
                    prompted=True,
                    passed=True,
                ),
                _at(_LOUISVILLE, 20.0, "u1009-mbp", "MacBook Pro · Chrome", "198.51.100.77"),
                # ... and the hotel Wi-Fi again this morning.
                _at(
                    _LOUISVILLE,
                    0.9,
                    "u1009-mbp",
                    "MacBook Pro · Chrome",
                    "203.0.113.201",
                    reputation="bad",
                    prompted=True,
                    passed=True,
                ),
            ),
            created_days_ago=640,
        ),
        DemoUser(
            id="u1010",
            name="Harpreet Gill",
            email="harpreet.gill@maplecorridor.example",
            company="Maple Corridor Logistics",
            region="CA",
            timezone="America/Toronto",
            is_admin=True,
            factors=(
                _totp("Google Authenticator", created=410),
                _sms("Cell", "+16475550143", created=410, used=200),
            ),
            signins=_routine(
                _MISSISSAUGA,
                "u1010-desktop",
                _WIN_EDGE,
                "192.0.2.56",
                (720, 600, 470, 350, 230, 150, 73, 49, 25, 3),
            ),
            created_days_ago=980,
        ),
        # Transportes Sierra Norte — carrier, Monterrey NL
        DemoUser(
            id="u1011",
            name="Alejandro Garza",
            email="alejandro.garza@sierranorte.example",
            company="Transportes Sierra Norte",
            region="MX",
            timezone="America/Monterrey",
            factors=(_sms("Celular", "+528123456789", created=220, used=1),),
            signins=_routine(
                _MONTERREY,
                "u1011-pc",
                _WIN_CHROME,
                "198.51.100.90",
                (600, 430, 310, 190, 120, 70, 26),
            ),
            created_days_ago=500,
        ),
        DemoUser(
            id="u1012",
            name="Lucía Treviño",
            email="lucia.trevino@sierranorte.example",
            company="Transportes Sierra Norte",
            region="MX",
            timezone="America/Monterrey",
            factors=(
                _totp("Microsoft Authenticator", created=230, used=4),
                _sms("Celular", "+528187654321", created=230, used=150),
            ),
            # Time zone set by hand on the phone: its clock is almost an hour behind.
            clock_offset_s=-3597,
            signins=_history(
                _routine(
                    _MONTERREY,
                    "u1012-laptop",
                    "Lenovo IdeaPad · Chrome",
                    "198.51.100.91",
                    (640, 450, 330, 210, 140, 98),
                ),
                _at(
                    _MONTERREY,
                    5.6,
                    "u1012-laptop",
                    "Lenovo IdeaPad · Chrome",
                    "198.51.100.91",
                    prompted=True,
                    passed=False,
                ),
                _at(
                    _MONTERREY,
                    5.4,
                    "u1012-laptop",
                    "Lenovo IdeaPad · Chrome",
                    "198.51.100.91",
                    prompted=True,
                    passed=False,
                ),
            ),
            created_days_ago=510,
        ),
        # Blue Mountain Haulage — carrier, Kingston (SMS works: +1 876 is Jamaica)
        DemoUser(
            id="u1026",
            name="Andre Campbell",
            email="andre.campbell@bluemountainhaulage.example",
            company="Blue Mountain Haulage",
            region="JM",
            timezone="America/Jamaica",
            factors=(_sms("Digicel phone", "+18765871234", created=160, used=2),),
            signins=_routine(
                _KINGSTON,
                "u1026-laptop",
                "Acer Aspire · Chrome",
                "203.0.113.120",
                (560, 400, 280, 170, 96, 50),
            ),
            created_days_ago=300,
        ),
        # Caribe Carga SRL — freight forwarder, Santo Domingo (+1 809: not the US)
        DemoUser(
            id="u1028",
            name="Luis Peña",
            email="luis.pena@caribecarga.example",
            company="Caribe Carga SRL",
            region="DO",
            timezone="America/Santo_Domingo",
            factors=(_sms("Celular", "+18094561234", created=12, used=None),),
            signins=(
                _at(_SANTO_DOMINGO, 26.5, "u1028-pc", _WIN_CHROME, "203.0.113.130", prompted=True),
                _at(_SANTO_DOMINGO, 26.2, "u1028-pc", _WIN_CHROME, "203.0.113.130", prompted=True),
            ),
            created_days_ago=90,
        ),
        # Transportadora Cerrado — carrier, Campinas SP (Brazil is not on the SMS list)
        DemoUser(
            id="u1027",
            name="Fernanda Ribeiro",
            email="fernanda.ribeiro@cerradocargas.example",
            company="Transportadora Cerrado",
            region="BR",
            timezone="America/Sao_Paulo",
            factors=(_sms("Celular", "+5519991234567", created=10, used=None),),
            signins=(
                _at(
                    _CAMPINAS,
                    2.2,
                    "u1027-notebook",
                    "Windows 10 · Chrome",
                    "198.51.100.140",
                    prompted=True,
                ),
                _at(
                    _CAMPINAS,
                    2.0,
                    "u1027-notebook",
                    "Windows 10 · Chrome",
                    "198.51.100.140",
                    prompted=True,
                ),
                _at(
                    _CAMPINAS,
                    1.8,
                    "u1027-notebook",
                    "Windows 10 · Chrome",
                    "198.51.100.140",
                    prompted=True,
                ),
            ),
            created_days_ago=260,
        ),
        # Pennine Haulage Ltd — carrier, Leeds
        DemoUser(
            id="u1013",
            name="Oliver Hartley",
            email="oliver.hartley@penninehaulage.example",
            company="Pennine Haulage Ltd",
            region="GB",
            timezone="Europe/London",
            # The office desk phone, imported from the staff directory by the company admin.
            factors=(_sms("Office phone", "+441134960123", created=14, used=None),),
            signins=(
                _at(
                    _LEEDS,
                    3.3,
                    "u1013-accounts-pc",
                    "Windows 10 · Edge",
                    "192.0.2.150",
                    prompted=True,
                ),
                _at(
                    _LEEDS,
                    3.1,
                    "u1013-accounts-pc",
                    "Windows 10 · Edge",
                    "192.0.2.150",
                    prompted=True,
                ),
            ),
            created_days_ago=1300,
        ),
        DemoUser(
            id="u1014",
            name="Fiona McLeod",
            email="fiona.mcleod@penninehaulage.example",
            company="Pennine Haulage Ltd",
            region="GB",
            timezone="Europe/London",
            factors=(
                _totp("Google Authenticator", created=190),
                _sms("Work mobile", "+447700154872", created=190, used=60),
            ),
            signins=_routine(
                _LEEDS,
                "u1014-laptop",
                "ThinkPad E14 · Chrome",
                "192.0.2.151",
                (670, 500, 360, 240, 150, 99, 50, 24, 4),
            ),
            created_days_ago=700,
        ),
        # Manx Freight Services — ro-ro haulier, Douglas (+44 7624 is the Isle of Man)
        DemoUser(
            id="u1015",
            name="Callum Kinvig",
            email="callum.kinvig@manxfreight.example",
            company="Manx Freight Services",
            region="IM",
            timezone="Europe/Isle_of_Man",
            factors=(_sms("Mobile", "+447624491234", created=9, used=None),),
            signins=(
                _at(_DOUGLAS, 0.9, "u1015-office-pc", _WIN_CHROME, "192.0.2.160", prompted=True),
                _at(_DOUGLAS, 0.8, "u1015-office-pc", _WIN_CHROME, "192.0.2.160", prompted=True),
            ),
            created_days_ago=340,
        ),
        # Rheinland Spedition GmbH — carrier and forwarder, Duisburg
        DemoUser(
            id="u1016",
            name="Katrin Vogel",
            email="katrin.vogel@rheinlandspedition.example",
            company="Rheinland Spedition GmbH",
            region="DE",
            timezone="Europe/Berlin",
            # The second landline: a dead backup she has never needed.
            factors=(
                _totp("Microsoft Authenticator", created=280),
                _sms("Büro", "+492034561230", created=280, used=None),
            ),
            signins=_routine(
                _DUISBURG,
                "u1016-pc",
                "Windows 11 · Firefox",
                "198.51.100.170",
                (700, 520, 390, 270, 170, 120, 72, 48, 6),
            ),
            created_days_ago=600,
        ),
        DemoUser(
            id="u1017",
            name="Jonas Becker",
            email="jonas.becker@rheinlandspedition.example",
            company="Rheinland Spedition GmbH",
            region="DE",
            timezone="Europe/Berlin",
            factors=(_key("Feitian-Schlüssel", "Feitian ePass FIDO2", created=250, used=1),),
            signins=_routine(
                _DUISBURG,
                "u1017-pc",
                "Windows 11 · Chrome",
                "198.51.100.171",
                (650, 480, 340, 220, 145, 73, 25),
            ),
            created_days_ago=560,
        ),
        DemoUser(
            id="u1036",
            name="Mehmet Yılmaz",
            email="mehmet.yilmaz@rheinlandspedition.example",
            company="Rheinland Spedition GmbH",
            region="DE",
            timezone="Europe/Berlin",
            factors=(_sms("Handy", "+4915128406173", created=170, used=1),),
            signins=_routine(
                _DUISBURG,
                "u1036-laptop",
                "Windows 10 · Chrome",
                "198.51.100.172",
                (620, 450, 320, 200, 125, 74, 30),
            ),
            created_days_ago=330,
        ),
        # Polder Logistics B.V. — carrier and warehousing, Rotterdam
        DemoUser(
            id="u1018",
            name="Daan de Vries",
            email="daan.devries@polderlogistics.example",
            company="Polder Logistics B.V.",
            region="NL",
            timezone="Europe/Amsterdam",
            factors=(
                _totp("Google Authenticator", created=260, used=1),
                _sms("Mobiel", "+31641827305", created=260, used=110),
            ),
            signins=_history(
                _routine(
                    _ROTTERDAM,
                    "u1018-t14",
                    "ThinkPad T14 · Chrome",
                    "2001:db8:4f2a::17",
                    (690, 510, 370, 250, 150, 98, 50),
                ),
                # The new laptop from IT: a device never seen before, same office.
                _at(
                    _ROTTERDAM,
                    25.5,
                    "u1018-x1",
                    "ThinkPad X1 Carbon · Edge",
                    "2001:db8:4f2a::17",
                    prompted=True,
                    passed=True,
                ),
            ),
            created_days_ago=720,
        ),
        DemoUser(
            id="u1037",
            name="Sanne Bakker",
            email="sanne.bakker@polderlogistics.example",
            company="Polder Logistics B.V.",
            region="NL",
            timezone="Europe/Amsterdam",
            factors=(_key("YubiKey", "YubiKey 5 NFC", created=150, used=2),),
            signins=_history(
                _routine(
                    _ROTTERDAM,
                    "u1037-laptop",
                    "HP ProBook · Chrome",
                    "2001:db8:4f2a::23",
                    (640, 470, 340, 230, 150, 72, 50),
                ),
                _at(
                    _ROTTERDAM,
                    9.5,
                    "u1037-laptop",
                    "HP ProBook · Chrome",
                    "2001:db8:4f2a::23",
                    prompted=True,
                ),
            ),
            created_days_ago=410,
        ),
        # Wisła Trans Sp. z o.o. — international carrier, Poznań
        DemoUser(
            id="u1019",
            name="Marta Wiśniewska",
            email="marta.wisniewska@wislatrans.example",
            company="Wisła Trans Sp. z o.o.",
            region="PL",
            timezone="Europe/Warsaw",
            factors=(
                _totp("Google Authenticator", created=210, used=0),
                _sms("Komórka", "+48512408219", created=210, used=70),
            ),
            signins=_history(
                _routine(
                    _POZNAN,
                    "u1019-latitude",
                    "Dell Latitude · Chrome",
                    "192.0.2.88",
                    (650, 480, 350, 240, 150, 80, 30, 3.9),
                ),
                # The company VPN exits in Amsterdam through an address rated as a proxy:
                # about 800 km in half an hour.
                _at(
                    _AMSTERDAM,
                    79.5,
                    "u1019-latitude",
                    "Dell Latitude · Chrome",
                    "198.51.100.150",
                    reputation="proxy",
                    prompted=True,
                    passed=True,
                ),
                _at(_POZNAN, 55.0, "u1019-latitude", "Dell Latitude · Chrome", "192.0.2.88"),
                _at(
                    _AMSTERDAM,
                    3.4,
                    "u1019-latitude",
                    "Dell Latitude · Chrome",
                    "198.51.100.150",
                    reputation="proxy",
                    prompted=True,
                    passed=True,
                ),
            ),
            created_days_ago=480,
        ),
        DemoUser(
            id="u1020",
            name="Tomasz Zieliński",
            email="tomasz.zielinski@wislatrans.example",
            company="Wisła Trans Sp. z o.o.",
            region="PL",
            timezone="Europe/Warsaw",
            factors=(_totp("Authy", created=210, used=1),),
            signins=_routine(
                _POZNAN,
                "u1020-pc",
                "Windows 10 · Opera",
                "192.0.2.89",
                (700, 530, 400, 280, 190, 120, 76, 29),
            ),
            created_days_ago=470,
        ),
        # Baltic Haulage UAB — international carrier, Vilnius and Kaunas
        DemoUser(
            id="u1021",
            name="Rūta Kazlauskienė",
            email="ruta.kazlauskiene@baltichaulage.example",
            company="Baltic Haulage UAB",
            region="LT",
            timezone="Europe/Vilnius",
            is_admin=True,
            factors=(
                _key("YubiKey", "YubiKey 5 NFC", created=330, used=0),
                _totp("Microsoft Authenticator", created=330, used=45),
            ),
            signins=_routine(
                _VILNIUS,
                "u1021-mbp",
                _MAC_SAFARI,
                "203.0.113.150",
                (720, 560, 430, 310, 200, 130, 74, 27, 2.5),
            ),
            created_days_ago=860,
        ),
        DemoUser(
            id="u1022",
            name="Dmitrij Volkov",
            email="dmitrij.volkov@baltichaulage.example",
            company="Baltic Haulage UAB",
            region="LT",
            timezone="Europe/Vilnius",
            # The Kaunas office is in Lithuania, but the SIM he registered is Russian.
            factors=(_sms("Mobile", "+79164820193", created=11, used=None),),
            signins=(
                _at(_KAUNAS, 2.4, "u1022-pc", _WIN_CHROME, "203.0.113.151", prompted=True),
                _at(_KAUNAS, 2.3, "u1022-pc", _WIN_CHROME, "203.0.113.151", prompted=True),
            ),
            created_days_ago=200,
        ),
        # Meseta Cargo S.L. — carrier, Zaragoza
        DemoUser(
            id="u1023",
            name="Javier Ortega",
            email="javier.ortega@mesetacargo.example",
            company="Meseta Cargo S.L.",
            region="ES",
            timezone="Europe/Madrid",
            factors=(
                _totp("Google Authenticator", created=240),
                _sms("Móvil", "+34655871204", created=240, used=100),
            ),
            signins=_routine(
                _ZARAGOZA,
                "u1023-pc",
                _WIN_CHROME,
                "198.51.100.180",
                (680, 500, 370, 250, 160, 97, 49, 8),
            ),
            created_days_ago=540,
        ),
        # Rhône Express Fret — carrier, Lyon (France is not on the SMS list)
        DemoUser(
            id="u1030",
            name="Camille Durand",
            email="camille.durand@rhonefret.example",
            company="Rhône Express Fret",
            region="FR",
            timezone="Europe/Paris",
            factors=(
                _totp("Authenticator", created=200, used=1),
                _sms("Portable", "+33674219058", created=200, used=None),
            ),
            signins=_routine(
                _LYON,
                "u1030-laptop",
                "Windows 11 · Firefox",
                "198.51.100.190",
                (640, 460, 330, 220, 140, 75, 28),
            ),
            created_days_ago=420,
        ),
        # Transalpina Autotrasporti — carrier, Verona (Italy is not on the SMS list)
        DemoUser(
            id="u1029",
            name="Giulia Bianchi",
            email="giulia.bianchi@transalpina.example",
            company="Transalpina Autotrasporti",
            region="IT",
            timezone="Europe/Rome",
            factors=(
                _totp("Google Authenticator", created=230, used=2),
                _sms("Cellulare", "+393478126604", created=230, used=None),
            ),
            signins=_routine(
                _VERONA,
                "u1029-pc",
                _WIN_EDGE,
                "198.51.100.195",
                (660, 490, 350, 230, 150, 98, 52),
            ),
            created_days_ago=440,
        ),
        # Dnipro Line Logistics — carrier, Lviv
        DemoUser(
            id="u1024",
            name="Olena Kovalenko",
            email="olena.kovalenko@dniproline.example",
            company="Dnipro Line Logistics",
            region="UA",
            timezone="Europe/Kyiv",
            factors=(_sms("Kyivstar", "+380675142288", created=190, used=1),),
            signins=_routine(
                _LVIV,
                "u1024-laptop",
                "Asus VivoBook · Chrome",
                "203.0.113.170",
                (600, 440, 320, 210, 130, 75, 27),
            ),
            created_days_ago=380,
        ),
        # Ganga Roadways Pvt Ltd — fleet operator, Pune
        DemoUser(
            id="u1025",
            name="Rohan Deshpande",
            email="rohan.deshpande@gangaroadways.example",
            company="Ganga Roadways Pvt Ltd",
            region="IN",
            timezone="Asia/Kolkata",
            factors=(
                _totp("Google Authenticator", created=270, used=0),
                _sms("Jio mobile", "+919822041736", created=270, used=30),
            ),
            signins=_routine(
                _PUNE,
                "u1025-laptop",
                "Lenovo ThinkBook · Chrome",
                "203.0.113.180",
                (710, 540, 400, 280, 180, 110, 60, 31, 7),
            ),
            created_days_ago=610,
        ),
        # Service accounts: no factors, never able to answer a prompt.
        DemoUser(
            id="u1033",
            name="ELD integration",
            email="eld-sync@greatlakesdryvan.example",
            company="Great Lakes Dry Van Co.",
            region="US",
            timezone="America/Chicago",
            kind="service",
            mfa_status="setup_required",
            signins=tuple(
                _at(
                    _ASHBURN,
                    float(h),
                    "u1033-eld-worker",
                    "eld-sync worker · python-requests",
                    "203.0.113.10",
                    prompted=True,
                )
                for h in range(58, 0, -4)
            ),
            created_days_ago=730,
        ),
        DemoUser(
            id="u1034",
            name="Load-board sync bot",
            email="loadboard-bot@redmesafreight.example",
            company="Red Mesa Freight",
            region="US",
            timezone="America/Denver",
            kind="service",
            mfa_status="setup_required",
            signins=tuple(
                _at(
                    _COLUMBUS,
                    float(h),
                    "u1034-loadboard-bot",
                    "loadboard-sync · Go-http-client",
                    "203.0.113.11",
                    prompted=True,
                )
                for h in range(34, 0, -6)
            ),
            created_days_ago=610,
        ),
    )


def _tickets() -> tuple[DemoTicket, ...]:
    return (
        DemoTicket(
            id="T-1042",
            user_id="u1002",
            channel="messenger",
            subject="I'm not getting the text code",
            text=(
                "hey so im trying to get into alvys and its supposed to text me a code but "
                "nothing is coming. hit resend like 3 times. my phone works fine, got a text "
                "from my wife 2 min ago. i have drivers waiting on rate cons can somebody "
                "PLEASE look at this"
            ),
            age_minutes=7,
        ),
        DemoTicket(
            id="T-1043",
            user_id="u1027",
            channel="email",
            subject="SMS verification code never arrives (Brazil)",
            text=(
                "Hello Alvys support,\n\n"
                "Today I tried to log in for the first time since the two-step verification "
                "was activated for our company, and the SMS with the code never arrives. My "
                "number is registered with +55 19 and my phone receives SMS from the bank "
                "normally, so I think the problem is not the phone. I pressed Resend Code "
                "many times.\n\n"
                "I am the only person in our office who does the settlement of the loads "
                "for our US customers, so this is urgent for us.\n\n"
                "Obrigada,\nFernanda Ribeiro\nTransportadora Cerrado"
            ),
            age_minutes=95,
        ),
        DemoTicket(
            id="T-1044",
            user_id="u1015",
            channel="messenger",
            subject="No text code coming to my UK mobile",
            text=(
                "Morning. Getting nothing through by text when I log in. It's a normal UK "
                "mobile, 07624 number, full signal. Tried resend twice. Any ideas?"
            ),
            age_minutes=40,
        ),
        DemoTicket(
            id="T-1045",
            user_id="u1013",
            channel="email",
            subject="Code by text not coming through",
            text=(
                "Hi,\n\n"
                "First time logging in since you lot brought in the two-step thing and it "
                "says it has sent a code by text to my number ending 0123. Nothing has "
                "arrived. I have been sat at my desk right next to the phone the whole "
                "time.\n\n"
                "I only use the system once a month to run the fuel card invoices so it's "
                "not the end of the world, but it needs doing by Friday.\n\n"
                "Regards\nOliver Hartley\nAccounts, Pennine Haulage Ltd"
            ),
            age_minutes=180,
        ),
        DemoTicket(
            id="T-1046",
            user_id="u1028",
            channel="messenger",
            subject="no me llega el SMS / code not arriving",
            text=(
                "hola, no me llega el codigo por sms. sorry english: the sms with code dont "
                "arrive to my phone. my number is +1 809, same +1 as USA so it should work "
                "right?? gracias"
            ),
            age_minutes=1560,
        ),
        DemoTicket(
            id="T-1047",
            user_id="u1005",
            channel="messenger",
            subject="App says my code is invalid",
            text=(
                "every time I put in the code from google authenticator it says the code is "
                "invalid. I'm typing it in exactly. I even waited for it to change and typed "
                "the new one right away, still invalid. worked fine up to last week. what "
                "gives"
            ),
            age_minutes=12,
        ),
        DemoTicket(
            id="T-1048",
            user_id="u1012",
            channel="email",
            subject="Authenticator codes not accepted",
            text=(
                "Good morning,\n\n"
                "Since a few days the codes from Microsoft Authenticator are not accepted, "
                "the page says the code is incorrect. I tried many times, also with the "
                "next code. My phone was showing the wrong hour after the time change, so "
                "I turned off the automatic time and put the correct hour myself. I don't "
                "know if that is related.\n\n"
                "Is there another way to log in meanwhile? I have to release the loads for "
                "tomorrow.\n\n"
                "Thank you,\nLucía Treviño\nTransportes Sierra Norte"
            ),
            age_minutes=300,
        ),
        DemoTicket(
            id="T-1049",
            user_id="u1007",
            channel="messenger",
            subject="I lost my phone",
            text=(
                "I lost my phone at a truck stop outside Boise last night (yes really). The "
                "authenticator app was on it. Back in the office on my laptop and it wants "
                "the 6 digit code. I do have the little USB key IT gave us on my keyring, "
                "does that work for this or do you need to reset something?"
            ),
            age_minutes=22,
        ),
        DemoTicket(
            id="T-1050",
            user_id="u1008",
            channel="email",
            subject="Phone stolen - completely locked out",
            text=(
                "My phone was stolen out of my car over the weekend. It had the "
                "authenticator app on it and that was the only thing I ever set up. I now "
                "can't get into Alvys AT ALL and I'm the one who books our loads. I've "
                "called twice already. This is costing us money every hour. Please reset "
                "this TODAY.\n\n"
                "Amanda Pierce\nCascade Freight Brokerage"
            ),
            age_minutes=2820,
        ),
        DemoTicket(
            id="T-1051",
            user_id="u1037",
            channel="email",
            subject="Lost my YubiKey",
            text=(
                "Hi support,\n\n"
                "I think I lost my YubiKey on the ferry back from Hull yesterday. It was "
                "the only login method I registered (our IT said it was the most secure "
                "option, which is a bit ironic now). IT has given me a new one. Can I "
                "register that instead, and how do you check that it is really me?\n\n"
                "Met vriendelijke groet,\nSanne Bakker\nPolder Logistics B.V."
            ),
            age_minutes=540,
        ),
        DemoTicket(
            id="T-1052",
            user_id="u1004",
            channel="messenger",
            subject="URGENT admin locked out - lost phone",
            text=(
                "I'm the account admin for Great Lakes Dry Van and I am locked out. Dropped "
                "my phone off the pier on Sunday (don't ask), it's gone, and the "
                "authenticator was on it. I have 14 driver settlements to approve by noon "
                "and nobody else here has admin. I need this fixed NOW."
            ),
            age_minutes=4,
        ),
        DemoTicket(
            id="T-1053",
            user_id="u1009",
            channel="messenger",
            subject="Why does it keep asking me for a code?",
            text=(
                "Hi! I'm at a trade show in Louisville this week and Alvys has asked me for "
                "a verification code like 4 times since I got here. At home in Toronto it "
                "never does. Is something wrong with my account or is this normal? Not a "
                "huge deal, just annoying when I'm trying to show a customer something at "
                "the booth :)"
            ),
            age_minutes=35,
        ),
        DemoTicket(
            id="T-1054",
            user_id="u1003",
            channel="email",
            subject="Why did I get a login code I never asked for?",
            text=(
                "Hi,\n\n"
                "About half an hour ago my phone buzzed with an Alvys verification code. I "
                "was not logging in at the time, I was in a meeting, and I did not enter it "
                "anywhere. Then I logged in myself a bit later from my laptop and it let me "
                "straight in without any code.\n\n"
                "Should I be worried? Is somebody trying to get into my account? We had a "
                "phishing email going round last week pretending to be a load tender.\n\n"
                "Kevin O'Malley\nOperations Manager, Great Lakes Dry Van Co."
            ),
            age_minutes=70,
        ),
        DemoTicket(
            id="T-1055",
            user_id="u1019",
            channel="messenger",
            subject="Asks for code every time when VPN is on",
            text=(
                "Hello, every time I turn on company VPN Alvys ask me for code again. "
                "Without VPN no problem. Our IT says VPN is ok and I should ask you. Why "
                "it is like this? Now it is every day"
            ),
            age_minutes=200,
        ),
        DemoTicket(
            id="T-1056",
            user_id="u1018",
            channel="email",
            subject="Why is Alvys asking for a code now?",
            text=(
                "Hi,\n\n"
                "Got a new laptop from IT yesterday and when I logged in Alvys asked for my "
                "authenticator code. Never had to do that on the old one. Is this expected "
                "or did something change on your side? Just checking before I tell the rest "
                "of the planning team, they all get new laptops this month.\n\n"
                "Groeten,\nDaan"
            ),
            age_minutes=1440,
        ),
        DemoTicket(
            id="T-1057",
            user_id="u1035",
            channel="messenger",
            subject="Asked me for a code again after the reset",
            text=(
                "you guys reset my 2FA a few days ago after my old phone died. set it up "
                "again on the new iphone, all good. today I'm at a customer's warehouse in "
                "Tacoma and it asked me for the code AGAIN. did the reset not work??"
            ),
            age_minutes=50,
        ),
        DemoTicket(
            id="T-1058",
            user_id="u1033",
            channel="email",
            subject="Our ELD integration account can't do MFA",
            text=(
                "Hello,\n\n"
                "We have a service user (eld-sync@greatlakesdryvan.example) that our ELD "
                "provider uses to push HOS and location data into Alvys every few hours. "
                "Since MFA became mandatory it gets stopped at the verification step, and "
                "of course there is nobody there to type a code, so our tracking has not "
                "updated since this morning. Dispatch is calling drivers for locations "
                "like it's 1995.\n\n"
                "Can you turn MFA off for this one account? If not, what are we supposed "
                "to do for integrations?\n\n"
                "Thanks,\nMike Sandoval\nIT, Great Lakes Dry Van Co.\n"
                "(sent from the integrations mailbox)"
            ),
            age_minutes=3180,
        ),
        DemoTicket(
            id="T-1059",
            user_id="u1034",
            channel="email",
            subject="Service account for load board sync blocked by MFA",
            text=(
                "Hi, our load-board bot account (loadboard-bot@redmesafreight.example) "
                "stopped posting our trucks to the boards yesterday. Its log shows it hits "
                "the MFA step and gives up. I'm the admin. I could set up an authenticator "
                "for it but then who types the code at 3am? Please advise.\n"
                "- Marisol Baca, Red Mesa Freight"
            ),
            age_minutes=1680,
        ),
        DemoTicket(
            id="T-1060",
            user_id="u1032",
            channel="messenger",
            subject="Stuck on the set up MFA screen",
            text=(
                "hi, first day here at lone star. it wont let me in, says I need to set up "
                "MFA before I can continue. I dont have the authenticator app and my work "
                "phone hasnt come yet. can I skip it just for today?"
            ),
            age_minutes=18,
        ),
        DemoTicket(
            id="T-1061",
            user_id="u1022",
            channel="messenger",
            subject="sms not coming",
            text=(
                "Hello. I work in Kaunas office. SMS with code not coming to my phone. "
                "Other people in office get it fine. Please check"
            ),
            age_minutes=130,
        ),
        DemoTicket(
            id="T-1062",
            user_id="u1006",
            channel="messenger",
            subject="Can I use Bitwarden for the codes?",
            text=(
                "Hey, quick question before I set up the second step. I keep all my "
                "passwords in Bitwarden already - can I use it for the login codes instead "
                "of installing another app on my phone? Thanks, Jenna"
            ),
            age_minutes=9,
        ),
        DemoTicket(
            id="T-1063",
            user_id="u1016",
            channel="email",
            subject="Passwort vergessen",
            text=(
                "Guten Tag, ich habe mein Passwort vergessen und komme nicht mehr in mein "
                "Konto. Können Sie es bitte zurücksetzen?\n\nMit freundlichen Grüßen\n"
                "Katrin Vogel\nRheinland Spedition GmbH"
            ),
            age_minutes=3,
        ),
    )


def demo_world() -> DemoWorld:
    """The demo's agents, customers and open tickets; the same every time it is called."""
    return DemoWorld(
        agents=(
            DemoAgent(username="demo-agent", display_name="Dana Agent", role="agent"),
            DemoAgent(username="demo-agent2", display_name="Sam Agent", role="agent"),
            DemoAgent(username="demo-lead", display_name="Morgan Lead", role="lead"),
        ),
        users=_users(),
        tickets=_tickets(),
        notes={
            "slow_clock": "u1005",
            "wrong_time_zone": "u1012",
            "sms_ticket": "T-1042",
            "code_invalid_ticket": "T-1047",
            "lost_phone_ticket": "T-1049",
            "service_account_ticket": "T-1058",
            "admin_lost_phone_ticket": "T-1052",
            "why_prompted_ticket": "T-1053",
            "landline_user": "u1013",
            "isle_of_man_user": "u1015",
            "brazil_user": "u1027",
            "dominican_user": "u1028",
            "setup_required_user": "u1032",
            "admin_user": "u1004",
            "recent_reset_user": "u1035",
            "service_account": "u1033",
        },
    )
