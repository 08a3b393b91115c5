"""The shapes the demo world is written in: plain data, seeded relative to now."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class DemoFactor:
    type: Literal["totp", "sms", "security_key"]
    label: str
    phone: str | None = None  # E.164, for sms
    key_model: str | None = None  # for security_key
    created_days_ago: int = 200
    last_used_days_ago: int | None = 3


@dataclass(frozen=True)
class DemoSignIn:
    hours_ago: float
    device_id: str
    device_name: str
    ip: str
    city: str
    country: str  # ISO alpha-2
    lat: float
    lon: float
    ip_reputation: Literal["good", "unknown", "proxy", "tor", "bad"] = "good"
    mfa_prompted: bool = False
    mfa_passed: bool | None = None


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
