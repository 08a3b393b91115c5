"""Who lives in the test peer: carriers' staff as end users, the desk's own staff,
and the phones they carry (a TOTP seed and how far the phone's clock is off).

The end users are people of the demo world's companies (trucking-software
customers); the staff realm holds one agent and one lead. Codes are computed
here the way each person's phone would show them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyotp

STEP_S = 30


@dataclass(frozen=True)
class Person:
    username: str
    givenname: str
    surname: str
    email: str
    mobile: str
    phone: str = ""
    password: str | None = None


CUSTOMERS: tuple[Person, ...] = (
    # Company admin of Red Mesa Freight: the sensitive account (a reset needs a lead).
    Person(
        "marisol.baca", "Marisol", "Baca", "marisol.baca@redmesafreight.example", "+15055550147"
    ),
    Person(
        "tyler.brooks", "Tyler", "Brooks", "tyler.brooks@redmesafreight.example", "+15055550162"
    ),
    Person(
        "ray.castillo", "Ray", "Castillo", "ray.castillo@lonestarreefer.example", "+12145550181"
    ),
    Person(
        "jenna.kowalczyk",
        "Jenna",
        "Kowalczyk",
        "jenna.kowalczyk@lonestarreefer.example",
        "+12145550133",
    ),
    Person(
        "brian.nguyen", "Brian", "Nguyen", "brian.nguyen@cascadefreight.example", "+12065550119"
    ),
    Person(
        "amanda.pierce", "Amanda", "Pierce", "amanda.pierce@cascadefreight.example", "+12065550175"
    ),
    Person(
        "sophie.tremblay",
        "Sophie",
        "Tremblay",
        "sophie.tremblay@maplecorridor.example",
        "+15145550126",
    ),
    # The ELD integration's service account: no person, no phone of its own.
    Person("eld-sync", "ELD", "Sync", "eld-sync@greatlakesdryvan.example", ""),
)

STAFF: tuple[Person, ...] = (
    Person("dana.ortiz", "Dana", "Ortiz", "dana.ortiz@alvys.example", "", password="agent-pass-1"),
    Person("lee.harmon", "Lee", "Harmon", "lee.harmon@alvys.example", "", password="lead-pass-1"),
)


@dataclass
class Phone:
    """An authenticator app: its seed and how far the phone's clock is from true time.

    `last_step` is the newest step privacyIDEA has seen from this token (a code is
    accepted once), so `next_code` never offers one it would refuse as used.
    """

    serial: str
    username: str
    seed_hex: str
    clock_offset_s: int = 0
    last_step: int = field(default=-1)

    @property
    def totp(self) -> pyotp.TOTP:
        return pyotp.TOTP(base64.b32encode(bytes.fromhex(self.seed_hex)).decode())

    def phone_time(self) -> float:
        return time.time() + self.clock_offset_s

    def code_at_step(self, step: int) -> str:
        return str(self.totp.generate_otp(step))

    def current_code(self) -> str:
        """What the phone shows now, for a check privacyIDEA will refuse (it spends nothing)."""
        return self.code_at_step(int(self.phone_time()) // STEP_S)

    def next_code(self) -> str:
        """The code the phone shows now, or the next one if that step was already used."""
        step = max(int(self.phone_time()) // STEP_S, self.last_step + 1)
        self.last_step = step
        return self.code_at_step(step)

    def resync_codes(self) -> tuple[str, str]:
        """Two consecutive codes as the user reads them off the phone."""
        step = max(int(self.phone_time()) // STEP_S, self.last_step + 2)
        # privacyIDEA spends the second code's step and the one after it.
        self.last_step = step + 1
        return self.code_at_step(step - 1), self.code_at_step(step)

    def wrong_code(self) -> str:
        """Six digits that no step near now produces."""
        near = {self.code_at_step(int(self.phone_time()) // STEP_S + d) for d in range(-40, 41)}
        candidate = 0
        while f"{candidate:06d}" in near:
            candidate += 1
        return f"{candidate:06d}"


def new_seed() -> str:
    return os.urandom(20).hex()


def ssha256(password: str) -> str:
    """The `{SSHA256}` hash privacyIDEA's SQL resolver checks: sha256(pw + salt) + salt."""
    salt = os.urandom(16)
    digest = hashlib.sha256(password.encode() + salt).digest()
    return "{SSHA256}" + base64.b64encode(digest + salt).decode()


def write_users(path: Path, people: tuple[Person, ...]) -> None:
    """A SQLite users file in the shape of a company directory."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL,"
            " givenname TEXT, surname TEXT, email TEXT, mobile TEXT, phone TEXT, password TEXT)"
        )
        db.executemany(
            "INSERT INTO users (username, givenname, surname, email, mobile, phone, password)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    p.username,
                    p.givenname,
                    p.surname,
                    p.email,
                    p.mobile,
                    p.phone,
                    ssha256(p.password) if p.password else None,
                )
                for p in people
            ],
        )
    db.close()
