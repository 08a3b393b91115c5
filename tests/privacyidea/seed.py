"""Fill a fresh privacyIDEA through its own REST API, as an organisation's admin would.

Realms of end users and of desk staff over SQL resolvers, the SMS gateway, the
authentication and enrolment policies, one token of each kind the desk meets, and
last the admin policies (superadmin first, or the bootstrap admin locks itself out).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.privacyidea.people import CUSTOMERS, STAFF, Phone, new_seed, write_users

CUSTOMER_REALM = "carriers"
STAFF_REALM = "deskstaff"
LOST_TOKEN_VALID_DAYS = 1
DRIFT_S = 7 * 60  # Jenna's phone runs 7 minutes fast: outside the normal window of ±3 min
SMS_TEXT_PREFIX = "Alvys sign-in code:"

# What the desk's service account may do, by privacyIDEA's admin policy action names
# (lib/policies/actions.py). /token/lost needs "losttoken", /validate/triggerchallenge
# "triggerchallenge", /audit/ "auditlog", /user/ "userlist", /token/ GET "tokenlist".
DESK_ADMIN_ACTIONS = (
    "tokenlist",
    "userlist",
    "enable",
    "disable",
    "reset",
    "resync",
    "unassign",
    "delete",
    "losttoken",
    "triggerchallenge",
    "auditlog",
    "getchallenges",
    "enrollTOTP",
    "enrollSMS",
    "enrollPW",
)


class SeedError(RuntimeError):
    """privacyIDEA refused a seeding step."""


@dataclass
class World:
    """What the peer holds, for tests to look up instead of repeating names."""

    customer_realm: str = CUSTOMER_REALM
    staff_realm: str = STAFF_REALM
    phones: dict[str, Phone] = field(default_factory=dict)
    sms_serials: dict[str, str] = field(default_factory=dict)
    sensitive_user: str = "marisol.baca"
    service_account: str = "eld-sync"
    user_without_token: str = "amanda.pierce"
    lost_token_valid_days: int = LOST_TOKEN_VALID_DAYS
    drift_s: int = DRIFT_S

    def phone(self, username: str) -> Phone:
        """The user's authenticator app (the first TOTP of theirs)."""
        return next(p for p in self.phones.values() if p.username == username)


class AdminSession:
    """A signed-in admin over plain httpx: every call must answer status true."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.http = httpx.Client(base_url=url, trust_env=False, timeout=30.0)
        answer = self.call("POST", "/auth", json={"username": username, "password": password})
        self.http.headers["PI-Authorization"] = answer["result"]["value"]["token"]

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kwargs)
        body: dict[str, Any] = response.json()
        if response.status_code != 200 or not body["result"].get("status"):
            raise SeedError(f"{method} {path} -> {response.status_code} {body['result']}")
        return body

    def close(self) -> None:
        self.http.close()


def seed(
    url: str,
    bootstrap: tuple[str, str],
    desk_admin: str,
    data_dir: Path,
    sms_url: str,
) -> World:
    world = World()
    admin = AdminSession(url, *bootstrap)
    try:
        _realms(admin, data_dir)
        _sms_gateway(admin, sms_url)
        _policies(admin)
        _tokens(admin, world)
        _lock(admin, world.phone("brian.nguyen"))
        _admin_policies(admin, bootstrap[0], desk_admin)
    finally:
        admin.close()
    return world


def _realms(admin: AdminSession, data_dir: Path) -> None:
    columns = ("username", "givenname", "surname", "email", "mobile", "phone", "password")
    for realm, people in ((CUSTOMER_REALM, CUSTOMERS), (STAFF_REALM, STAFF)):
        users_file = data_dir / f"{realm}-users.sqlite"
        write_users(users_file, people)
        admin.call(
            "POST",
            f"/resolver/{realm}-sql",
            json={
                "type": "sqlresolver",
                "Driver": "sqlite",
                "Server": "",
                "Database": str(users_file),
                "Table": "users",
                "Editable": "0",
                "Password_Hash_Type": "SSHA256",
                "Map": json.dumps({"userid": "id", **{c: c for c in columns}}),
            },
        )
        admin.call("POST", f"/realm/{realm}", json={"resolvers": f"{realm}-sql"})
    admin.call("POST", f"/defaultrealm/{CUSTOMER_REALM}")


def _sms_gateway(admin: AdminSession, sms_url: str) -> None:
    admin.call(
        "POST",
        "/smsgateway",
        json={
            "name": "loopback-capture",
            "module": "privacyidea.lib.smsprovider.HttpSMSProvider.HttpSMSProvider",
            "option.URL": sms_url,
            "option.HTTP_METHOD": "POST",
            "option.SEND_DATA_AS_JSON": "yes",
            "option.RETURN_SUCCESS": "OK",
            "option.TIMEOUT": "3",
            "option.phone": "{phone}",
            "option.text": "{otp}",
        },
    )
    admin.call("POST", "/system/setConfig", json={"sms.identifier": "loopback-capture"})


def _policies(admin: AdminSession) -> None:
    admin.call(
        "POST",
        "/policy/carriers-sms-text",
        json={
            "scope": "authentication",
            "realm": CUSTOMER_REALM,
            "active": True,
            "action": f"smstext='{SMS_TEXT_PREFIX} {{otp}}'",
        },
    )
    # Staff sign in with their directory password followed by their own token's code.
    admin.call(
        "POST",
        "/policy/staff-password-and-code",
        json={
            "scope": "authentication",
            "realm": STAFF_REALM,
            "active": True,
            "action": "otppin=userstore",
        },
    )
    admin.call(
        "POST",
        "/policy/carriers-lost-token",
        json={
            "scope": "enrollment",
            "realm": CUSTOMER_REALM,
            "active": True,
            "action": f"losttoken_valid={LOST_TOKEN_VALID_DAYS}, losttoken_PW_length=12",
        },
    )


def _tokens(admin: AdminSession, world: World) -> None:
    totp = (
        ("TOTP-MBACA", "marisol.baca", CUSTOMER_REALM, 0, "Google Authenticator (iPhone)"),
        ("TOTP-RCASTILLO", "ray.castillo", CUSTOMER_REALM, 0, "Authenticator on Pixel"),
        ("TOTP-JKOWALCZYK", "jenna.kowalczyk", CUSTOMER_REALM, DRIFT_S, "Authenticator, iPhone"),
        ("TOTP-BNGUYEN", "brian.nguyen", CUSTOMER_REALM, 0, "Microsoft Authenticator"),
        ("TOTP-STREMBLAY", "sophie.tremblay", CUSTOMER_REALM, 0, "Authy on Galaxy"),
        ("TOTP-ELDSYNC", "eld-sync", CUSTOMER_REALM, 0, "Shared in the ELD vault"),
        ("TOTP-DORTIZ", "dana.ortiz", STAFF_REALM, 0, "Agent's authenticator"),
        ("TOTP-LHARMON", "lee.harmon", STAFF_REALM, 0, "Lead's authenticator"),
    )
    for serial, username, realm, offset, description in totp:
        phone = enroll_totp(admin, serial, username, realm, description)
        phone.clock_offset_s = offset
        world.phones[serial] = phone
    by_name = {p.username: p for p in CUSTOMERS}
    for serial, username, description in (
        ("SMS-TBROOKS", "tyler.brooks", "Cell"),
        ("SMS-MBACA", "marisol.baca", "My cell"),
        ("SMS-STREMBLAY", "sophie.tremblay", "Mobile"),
    ):
        admin.call(
            "POST",
            "/token/init",
            json={
                "type": "sms",
                "serial": serial,
                "phone": by_name[username].mobile,
                "user": username,
                "realm": CUSTOMER_REALM,
                "description": description,
            },
        )
        world.sms_serials[username] = serial


def enroll_totp(
    admin: AdminSession, serial: str, username: str, realm: str, description: str
) -> Phone:
    """A TOTP token with a seed we know, as if its QR code had been scanned."""
    seed_hex = new_seed()
    admin.call(
        "POST",
        "/token/init",
        json={
            "type": "totp",
            "serial": serial,
            "otpkey": seed_hex,
            "user": username,
            "realm": realm,
            "description": description,
        },
    )
    return Phone(serial, username, seed_hex)


def _lock(admin: AdminSession, phone: Phone) -> None:
    """Wrong codes until the fail counter reaches its maximum (10 by default)."""
    token = admin.call("GET", "/token/", params={"serial": phone.serial})["result"]["value"]
    maxfail = int(token["tokens"][0]["maxfail"])
    for _ in range(maxfail):
        admin.call(
            "POST", "/validate/check", json={"serial": phone.serial, "pass": phone.wrong_code()}
        )
    token = admin.call("GET", "/token/", params={"serial": phone.serial})["result"]["value"]
    if int(token["tokens"][0]["failcount"]) < maxfail:
        raise SeedError(f"{phone.serial} did not lock: {token['tokens'][0]['failcount']}")


def _admin_policies(admin: AdminSession, bootstrap: str, desk_admin: str) -> None:
    """Superadmin first: once any admin policy exists, every admin has only what one grants."""
    definitions = admin.call("GET", "/policy/defs/admin")["result"]["value"]
    # ...but not the switches that force the server to generate keys: they restrict.
    every_switch = sorted(
        k
        for k, v in definitions.items()
        if v.get("type") == "bool" and not k.endswith("force_server_generate")
    )
    admin.call(
        "POST",
        "/policy/bootstrap-superadmin",
        json={
            "scope": "admin",
            "adminuser": bootstrap,
            "active": True,
            "action": ", ".join(every_switch),
        },
    )
    admin.call(
        "POST",
        "/policy/supportdesk-service",
        json={
            "scope": "admin",
            "adminuser": desk_admin,
            "realm": CUSTOMER_REALM,
            "active": True,
            "action": ", ".join(DESK_ADMIN_ACTIONS),
        },
    )
