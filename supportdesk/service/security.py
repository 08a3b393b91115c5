"""Secrets handling: password hashes, bearer tokens, one-time codes, TOTP checks.

Nothing here leaves the service: the API returns only outcomes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOTP_STEP_S = 30


class Passwords:
    """argon2id hashing with tunable cost (tests and the demo use a cheaper one).

    A hash costs the CPU a noticeable while: the service calls `check` and `make`, which
    run it in a worker thread, so the embedded desk's event loop never stalls on one.
    """

    def __init__(self, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def make(self, password: str) -> str:
        """`hash`, off the event loop."""
        return await asyncio.to_thread(self.hash, password)

    async def check(self, stored_hash: str, password: str) -> bool:
        """`verify`, off the event loop."""
        return await asyncio.to_thread(self.verify, stored_hash, password)


def new_token() -> str:
    """An opaque bearer token; only its SHA-256 is stored."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_numeric_code(digits: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def new_access_code() -> str:
    """A one-time access code an agent reads out: groups of four, no look-alikes."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def normalise_access_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_digest(server_key: str, code: str) -> str:
    """Keyed hash of a short code: a stolen table alone cannot be brute-forced offline."""
    return hmac.new(server_key.encode(), code.encode(), hashlib.sha256).hexdigest()


def codes_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def totp_step(at: datetime) -> int:
    return int(at.timestamp()) // TOTP_STEP_S


@dataclass(frozen=True)
class TotpMatch:
    """What a code is to an authenticator secret: the step it belongs to, or why not."""

    step: int | None
    reused: bool = False
    """The code is right but its step was used already (a replay, or typed twice)."""


def check_totp(secret: str, code: str, at: datetime, last_step: int | None) -> TotpMatch:
    """Find the code's step (now ±1 step); a step at or before `last_step` is refused.

    `code` is the normalised 6 digits (`rules.codes.normalise_code`).
    """
    code = code.strip()
    if not (len(code) == 6 and code.isdigit()):
        return TotpMatch(None)
    totp = pyotp.TOTP(secret)
    now_step = totp_step(at)
    reused = False
    for step in (now_step, now_step - 1, now_step + 1):
        if not hmac.compare_digest(totp.at(step * TOTP_STEP_S), code):
            continue
        if last_step is not None and step <= last_step:
            reused = True
            continue
        return TotpMatch(step)
    return TotpMatch(None, reused=reused)


def match_totp(secret: str, code: str, at: datetime, last_step: int | None) -> int | None:
    """The step a code belongs to (now ±1 step), or None; a step used before is refused."""
    return check_totp(secret, code, at, last_step).step
