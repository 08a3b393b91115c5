"""The month's plan: its people and dates, the entries to write, and the state it leaves."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.factor_words import factor_words
from supportdesk.rules.policy import (
    Target,
    TargetKind,
)
from supportdesk.service.audit import Actor, Entry, record
from supportdesk.service.demo.model import DemoFactor, DemoUser, DemoWorld
from supportdesk.service.store.schema import (
    factors,
    signin_events,
    users,
)

TEAM_ZONE = ZoneInfo("Europe/London")
"""Where the support team works: its mornings, evenings and nights are this zone's."""
HISTORY_DAYS = 30
LAST_PAST_TICKET = 1041
"""The newest resolved ticket's number; the open queue starts at T-1042."""
QUIET = timedelta(minutes=45)
"""No ticket of the past starts this close to `now`, so every one ends before CUTOFF."""
CUTOFF = timedelta(minutes=15)
"""Nothing in the past is closer to `now` than this (the desk's own session starts now)."""
ACCESS_CODE_S = 3600
"""The service's default lifetime of a one-time access code."""
_SEED = 1042

DANA = Actor("demo-agent", "agent")
SAM = Actor("demo-agent2", "agent")
ALEX = Actor("demo-agent3", "agent")
"""A past agent: left about two weeks ago, so the log names him but no account does."""
MORGAN = Actor("demo-lead", "lead")
ALEX_LAST_DAY = 8
"""demo-agent3's last working day, counted back from today (1: the last working day)."""
ALEX_NIGHT = 13
"""The working day that began with demo-agent3's reset at 02:40 (he took that day off)."""

EVERYDAY_USERS = (
    "u1006",
    "u1011",
    "u1016",
    "u1017",
    "u1018",
    "u1019",
    "u1020",
    "u1021",
    "u1023",
    "u1025",
    "u1026",
    "u1029",
    "u1030",
    "u1031",
    "u1036",
)
"""Customers whose past tickets fill the month (the presenter's ticket stories stay clean)."""

NO_TEXTS = frozenset({"+492034561230", "+33674219058", "+393478126604"})
"""Numbers in the pool no code is texted to (a German landline; France and Italy are not
SMS countries), so the past has no resends to them. Listed rather than worked out with
phonenumbers, whose first use costs more than the whole month; a test checks the list."""

OLD_FACTORS: dict[str, tuple[DemoFactor, ...]] = {
    "u1035": (DemoFactor("totp", "Google Authenticator (iPhone 11)", created_days_ago=380),),
}
"""What the world's own resets removed: the phone that died before Sean's reset."""

Step = Callable[[AsyncConnection], Awaitable[None]]
Story = Callable[["Ticket"], datetime]


@dataclass
class Factor:
    id: str
    user_id: str
    type: str
    label: str
    phone: str | None
    key_model: str | None
    created_at: datetime
    last_used_at: datetime | None
    removed_at: datetime | None = None
    world: bool = False
    """One of the world's factors, still on the account; the others are written removed."""

    @property
    def words(self) -> str:
        return factor_words(self.type, self.label)


@dataclass(frozen=True)
class Where:
    device_id: str
    device_name: str
    ip: str
    city: str
    country: str
    lat: float
    lon: float
    reputation: str = "good"


BUCHAREST_PROXY = Where(
    "u1020-win10-7f3a",
    "Windows 10 · Chrome",
    "198.51.100.231",
    "Bucharest",
    "RO",
    44.4268,
    26.1025,
    reputation="proxy",
)


@dataclass
class Ticket:
    start: datetime
    agent: Actor
    story: Story
    user: str = ""
    id: str = ""
    special: bool = False


def local(day: date, hh: int, mm: int, ss: int) -> datetime:
    """A time of the team's day, in UTC: the log hashes times as the service writes them."""
    return datetime.combine(day, time(hh, mm, ss), tzinfo=TEAM_ZONE).astimezone(UTC)


class Past:
    """What the month's plan keeps track of: people, factors, resets, and the steps to write.

    `timeline.Timeline` plans the everyday work and `stories.Stories` the stories a lead
    should find; every random draw happens while planning, then the steps are written in
    time order.
    """

    def __init__(self, world: DemoWorld, now: datetime) -> None:
        self.now = now
        self.rng = random.Random(_SEED)
        self.users: dict[str, DemoUser] = {u.id: u for u in world.users}
        self.factors: dict[str, list[Factor]] = {
            u.id: [self._world_factor(u, n, f) for n, f in enumerate(u.factors, start=1)]
            for u in world.users
        }
        self.last_reset = {
            u.id: now - timedelta(days=u.last_mfa_reset_days_ago)
            for u in world.users
            if u.last_mfa_reset_days_ago is not None
        }
        self.enrolled: set[str] = set()
        self.signins: list[tuple[str, datetime, Where]] = []
        self.steps: list[tuple[datetime, Step]] = []
        self.tickets: list[Ticket] = []
        today = now.astimezone(TEAM_ZONE).date()
        days = [today - timedelta(days=back) for back in range(HISTORY_DAYS, -1, -1)]
        self.days = [d for d in days if d.weekday() < 5]
        self.past_days = [d for d in self.days if d < today]

    def _world_factor(self, user: DemoUser, n: int, f: DemoFactor) -> Factor:
        used = f.last_used_days_ago
        return Factor(
            id=f"{user.id}-f{n}",
            user_id=user.id,
            type=f.type,
            label=f.label,
            phone=f.phone,
            key_model=f.key_model,
            created_at=self.now - timedelta(days=f.created_days_ago),
            last_used_at=self.now - timedelta(days=used) if used is not None else None,
            world=True,
        )

    # -- small helpers

    def at(self, day: date, hh: int, mm: int, ss: int | None = None) -> datetime:
        second = self.rng.randrange(60) if ss is None else ss
        return local(day, hh, mm, second)

    def wd(self, back: int) -> date:
        """The working day `back` working days before today (1: the last one)."""
        return self.past_days[-back]

    def rid(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def later(self, at: datetime, low: float, high: float) -> datetime:
        """Between `low` and `high` minutes after `at`."""
        return at + timedelta(seconds=self.rng.uniform(low * 60, high * 60))

    def log(
        self, at: datetime, entry: Entry | Callable[[], Entry], *, rid: str | None = None
    ) -> None:
        """One entry, built by `service.audit.entries`; a function is called once the rows
        its detail names exist."""
        assert at.utcoffset() == timedelta(0), "the chain hashes times in UTC, as stored"
        request_id = rid or self.rid()

        async def step(conn: AsyncConnection) -> None:
            await record(conn, entry() if callable(entry) else entry, at=at, request_id=request_id)

        self.steps.append((at, step))

    def factors_at(self, user_id: str, at: datetime, kind: str | None = None) -> list[Factor]:
        return [
            f
            for f in self.factors[user_id]
            if f.created_at <= at
            and (f.removed_at is None or f.removed_at > at)
            and kind in (None, f.type)
        ]

    def old_factor(self, like: Factor | DemoFactor, user_id: str, until: datetime) -> Factor:
        """A factor the user no longer has: written as a removed row of its own."""
        created = (
            like.created_at
            if isinstance(like, Factor)
            else self.now - timedelta(days=like.created_days_ago)
        )
        last_used = like.last_used_at if isinstance(like, Factor) else None
        old = Factor(
            id=f"{user_id}-f{len(self.factors[user_id]) + 1}",
            user_id=user_id,
            type=like.type,
            label=like.label,
            phone=like.phone if isinstance(like, Factor) else None,
            key_model=like.key_model,
            created_at=created,
            last_used_at=min(last_used, until) if last_used else until - timedelta(days=2),
            removed_at=until,
        )
        self.factors[user_id].append(old)
        return old

    def enrol_again(
        self, user_id: str, again: Sequence[Factor], at: datetime, where: Where | None
    ) -> None:
        """The user signed in at `at` and set `again` up afresh (from `where`, or as usual)."""
        for factor in again:
            factor.created_at = at
            if factor.last_used_at is not None and factor.last_used_at < at:
                factor.last_used_at = at
        self.signins.append((user_id, at, where or self.usual_place(user_id, at)))
        self.enrolled.add(user_id)

    def usual_place(self, user_id: str, before: datetime) -> Where:
        """Where the user usually signs in from: their latest sign-in before `before`."""
        signins = self.users[user_id].signins
        earlier = [s for s in signins if self.now - timedelta(hours=s.hours_ago) < before]
        s = min(earlier or signins, key=lambda s: s.hours_ago)
        return Where(s.device_id, s.device_name, s.ip, s.city, s.country, s.lat, s.lon)

    def target(self, user_id: str, at: datetime) -> Target:
        user = self.users[user_id]
        reset = self.last_reset.get(user_id)
        return Target(
            kind=TargetKind(user.kind),
            is_admin=user.is_admin,
            is_staff=user.is_staff,
            last_mfa_reset_at=reset if reset is not None and reset < at else None,
            factor_count=len(self.factors_at(user_id, at)),
        )

    # -- the month

    # -- today's state as the past left it

    async def settle(self, conn: AsyncConnection) -> None:
        removed = [f for fs in self.factors.values() for f in fs if not f.world]
        if removed:
            await conn.execute(
                factors.insert(),
                [
                    {
                        "id": f.id,
                        "user_id": f.user_id,
                        "type": f.type,
                        "label": f.label,
                        "created_at": f.created_at,
                        "last_used_at": f.last_used_at,
                        "phone_e164": f.phone,
                        "key_model": f.key_model,
                        "removed_at": f.removed_at,
                    }
                    for f in removed
                ],
            )
        for user_id in sorted(self.enrolled):
            for f in self.factors[user_id]:
                if f.world:
                    await conn.execute(
                        update(factors)
                        .where(factors.c.id == f.id)
                        .values(created_at=f.created_at, last_used_at=f.last_used_at)
                    )
        for user_id, at in sorted(self.last_reset.items()):
            await conn.execute(
                update(users).where(users.c.id == user_id).values(last_mfa_reset_at=at)
            )
        if self.signins:
            await conn.execute(
                signin_events.insert(),
                [
                    {
                        "user_id": user_id,
                        "at": at,
                        "device_id": w.device_id,
                        "device_name": w.device_name,
                        "ip": w.ip,
                        "city": w.city,
                        "country": w.country,
                        "lat": w.lat,
                        "lon": w.lon,
                        "ip_reputation": w.reputation,
                        "mfa_prompted": True,
                        "mfa_passed": True,
                    }
                    for user_id, at, w in sorted(self.signins, key=lambda s: s[1])
                ],
            )
