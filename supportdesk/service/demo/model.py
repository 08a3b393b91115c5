"""The shapes the demo world is written in: plain data, seeded relative to now."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from supportdesk.rules.risk import SignIn


@dataclass(frozen=True)
class DemoFactor:
    type: Literal["totp", "sms", "security_key"]
    label: str
    phone: str | None = None  # E.164, for sms
    key_model: str | None = None  # for security_key
    created_days_ago: int = 200
    last_used_days_ago: int | None = 3


WORLD_NOW = datetime(2000, 1, 1, tzinfo=UTC)
"""The demo world's own "now": its sign-ins are written before it, and seeding moves them
to the same distance before the real now."""


@dataclass(frozen=True)
class DemoSignIn(SignIn):
    """A sign-in of the demo world: a `rules.risk.SignIn` (the one definition of its
    fields) placed on the world's own clock, `hours_ago` before `WORLD_NOW`."""

    @classmethod
    def ago(cls, hours_ago: float, **fields: Any) -> DemoSignIn:
        return cls(at=WORLD_NOW - timedelta(hours=hours_ago), **fields)

    @property
    def hours_ago(self) -> float:
        return (WORLD_NOW - self.at) / timedelta(hours=1)

    def placed(self, now: datetime) -> SignIn:
        """The same sign-in, as far before `now` as it is before the world's now."""
        recorded = {f.name: getattr(self, f.name) for f in fields(SignIn)}
        return SignIn(**{**recorded, "at": now - (WORLD_NOW - self.at)})


@dataclass(frozen=True)
class DemoUser:
    id: str
    name: str
    email: str
    company: str
    region: str  # ISO alpha-2 of the user's office
    timezone: str  # IANA zone
    kind: Literal["individual", "service"] = "individual"
    is_admin: bool = False
    is_staff: bool = False
    mfa_status: Literal["active", "setup_required"] = "active"
    factors: tuple[DemoFactor, ...] = ()
    signins: tuple[DemoSignIn, ...] = ()
    clock_offset_s: int = 0  # how far the demo phone's clock is off (negative: slow)
    last_mfa_reset_days_ago: int | None = None
    created_days_ago: int = 400


@dataclass(frozen=True)
class DemoTicket:
    id: str
    user_id: str
    channel: Literal["messenger", "email"]
    subject: str
    text: str
    age_minutes: int


@dataclass(frozen=True)
class DemoAgent:
    username: str
    display_name: str
    role: Literal["agent", "lead"]
    clock_offset_s: int = 0


@dataclass(frozen=True)
class DemoWorld:
    agents: tuple[DemoAgent, ...]
    users: tuple[DemoUser, ...]
    tickets: tuple[DemoTicket, ...]
    password: str = "demo"
    notes: dict[str, str] = field(default_factory=dict)
