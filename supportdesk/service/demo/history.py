"""The demo world's past: a month of support work, so a team lead has a log to review.

`write_history` writes about 30 days of what the desk really records (sign-ins and
sign-outs, resends, clock diagnoses, challenges, removals, resets, approvals, resolved
tickets) with `append_audit`, oldest first, inside the seeding transaction and before
the `demo.seed` entry. It is planned from the world and `now` with a `random.Random`
seeded by a constant: the same `now` always gives the same log.

The team works Monday to Friday in `TEAM_ZONE` (UK time); the review queue tells the
story as the team lived it when the desk shows that zone (``display_timezone``). What a
lead should find:

- ``demo-agent2`` reset six accounts on the last working day, far above their usual
  pace (the review queue's spike, and the chart's tall red bar);
- the last of them, u1020, signed in two hours later from a new device in Romania,
  behind a proxy (a new device and country soon after a reset);
- ``demo-agent3``, who has since left and has no account any more, reset u1025 at
  02:40 (the user is in Pune, where it was morning: worth a look, maybe fine);
- u1023 was reset by ``demo-agent``, then three days later by ``demo-agent2`` with
  ``demo-lead``'s approval, as four-eyes requires for a recent reset;
- u1035's reset three days ago (the world's own story), then the new iPhone.

Where a past action still shows in today's state, the state agrees with it: a reset
user's ``last_mfa_reset_at``, factors enrolled again after a reset or re-enrolment (the
old ones kept as removed rows), the sign-in that enrolled them, the decided approval
requests and the SMS deliveries of resends. Not written: rows for the resolved past
tickets (up to T-1041; the desk lists open tickets only), recovery challenges and access
codes (their ids appear in entries only as references), and the past texts and e-mails
in the demo inbox (which shows only the latest few).
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.phone import mask_e164
from supportdesk.rules.policy import (
    Action,
    Check,
    Outcome,
    Target,
    TargetKind,
    approval_expires_at,
    decide,
    sensitivity,
)
from supportdesk.service.audit import Actor, append_audit
from supportdesk.service.db.schema import approvals, factors, signin_events, sms_deliveries, users
from supportdesk.service.demo.model import DemoFactor, DemoUser, DemoWorld
from supportdesk.service.recovery_actions import dump_checks, dump_params, factor_words, mask_email

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
Story = Callable[["_Ticket"], datetime]


@dataclass
class _Factor:
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
        return factor_words({"type": self.type, "label": self.label})


@dataclass(frozen=True)
class _Where:
    device_id: str
    device_name: str
    ip: str
    city: str
    country: str
    lat: float
    lon: float
    reputation: str = "good"


BUCHAREST_PROXY = _Where(
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
class _Ticket:
    start: datetime
    agent: Actor
    story: Story
    user: str = ""
    id: str = ""
    special: bool = False


def _local(day: date, hh: int, mm: int, ss: int) -> datetime:
    """A time of the team's day, in UTC: the log hashes times as the service writes them."""
    return datetime.combine(day, time(hh, mm, ss), tzinfo=TEAM_ZONE).astimezone(UTC)


class _Past:
    """Plans the month (every random draw happens here), then writes it in time order."""

    def __init__(self, world: DemoWorld, now: datetime) -> None:
        self.now = now
        self.rng = random.Random(_SEED)
        self.users: dict[str, DemoUser] = {u.id: u for u in world.users}
        self.factors: dict[str, list[_Factor]] = {
            u.id: [self._world_factor(u, n, f) for n, f in enumerate(u.factors, start=1)]
            for u in world.users
        }
        self.last_reset = {
            u.id: now - timedelta(days=u.last_mfa_reset_days_ago)
            for u in world.users
            if u.last_mfa_reset_days_ago is not None
        }
        self.enrolled: set[str] = set()
        self.signins: list[tuple[str, datetime, _Where]] = []
        self.steps: list[tuple[datetime, Step]] = []
        self.tickets: list[_Ticket] = []
        today = now.astimezone(TEAM_ZONE).date()
        days = [today - timedelta(days=back) for back in range(HISTORY_DAYS, -1, -1)]
        self.days = [d for d in days if d.weekday() < 5]
        self.past_days = [d for d in self.days if d < today]

    def _world_factor(self, user: DemoUser, n: int, f: DemoFactor) -> _Factor:
        used = f.last_used_days_ago
        return _Factor(
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
        return _local(day, hh, mm, second)

    def wd(self, back: int) -> date:
        """The working day `back` working days before today (1: the last one)."""
        return self.past_days[-back]

    def rid(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def later(self, at: datetime, low: float, high: float) -> datetime:
        """Between `low` and `high` minutes after `at`."""
        return at + timedelta(seconds=self.rng.uniform(low * 60, high * 60))

    def audit(
        self,
        at: datetime,
        actor: Actor,
        action: str,
        outcome: str,
        *,
        rid: str | None = None,
        detail: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
        **fields: Any,
    ) -> None:
        """One entry; `detail` may be a function, read once the rows it names exist."""
        assert at.utcoffset() == timedelta(0), "the chain hashes times in UTC, as stored"
        request_id = rid or self.rid()

        async def step(conn: AsyncConnection) -> None:
            await append_audit(
                conn,
                at=at,
                actor=actor,
                action=action,
                outcome=outcome,
                detail=detail() if callable(detail) else detail,
                request_id=request_id,
                **fields,
            )

        self.steps.append((at, step))

    def entry(
        self, ticket: _Ticket, at: datetime, action: str, outcome: str, **fields: Any
    ) -> None:
        """An entry the ticket's agent writes about the ticket's user."""
        self.audit(
            at,
            ticket.agent,
            action,
            outcome,
            target_user=ticket.user,
            ticket_id=ticket.id,
            **fields,
        )

    def factors_at(self, user_id: str, at: datetime, kind: str | None = None) -> list[_Factor]:
        return [
            f
            for f in self.factors[user_id]
            if f.created_at <= at
            and (f.removed_at is None or f.removed_at > at)
            and kind in (None, f.type)
        ]

    def old_factor(self, like: _Factor | DemoFactor, user_id: str, until: datetime) -> _Factor:
        """A factor the user no longer has: written as a removed row of its own."""
        created = (
            like.created_at
            if isinstance(like, _Factor)
            else self.now - timedelta(days=like.created_days_ago)
        )
        last_used = like.last_used_at if isinstance(like, _Factor) else None
        old = _Factor(
            id=f"{user_id}-f{len(self.factors[user_id]) + 1}",
            user_id=user_id,
            type=like.type,
            label=like.label,
            phone=like.phone if isinstance(like, _Factor) else None,
            key_model=like.key_model,
            created_at=created,
            last_used_at=min(last_used, until) if last_used else until - timedelta(days=2),
            removed_at=until,
        )
        self.factors[user_id].append(old)
        return old

    def enrol_again(
        self, user_id: str, again: Sequence[_Factor], at: datetime, where: _Where | None
    ) -> None:
        """The user signed in at `at` and set `again` up afresh (from `where`, or as usual)."""
        for factor in again:
            factor.created_at = at
            if factor.last_used_at is not None and factor.last_used_at < at:
                factor.last_used_at = at
        self.signins.append((user_id, at, where or self.usual_place(user_id, at)))
        self.enrolled.add(user_id)

    def usual_place(self, user_id: str, before: datetime) -> _Where:
        """Where the user usually signs in from: their latest sign-in before `before`."""
        signins = self.users[user_id].signins
        earlier = [s for s in signins if self.now - timedelta(hours=s.hours_ago) < before]
        s = min(earlier or signins, key=lambda s: s.hours_ago)
        return _Where(s.device_id, s.device_name, s.ip, s.city, s.country, s.lat, s.lon)

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

    def plan(self) -> None:
        assert len(self.past_days) >= 20, "30 days always hold 20 working days"
        for day in self.days:
            self.plan_day(day)
        self.plan_specials()
        self.tickets = [t for t in self.tickets if t.start < self.now - QUIET]
        self.tickets.sort(key=lambda t: t.start)
        first = LAST_PAST_TICKET - len(self.tickets) + 1
        for n, ticket in enumerate(self.tickets):
            ticket.id = f"T-{first + n:04d}"
        # The stories that change accounts first: everyday tickets see their outcome.
        for ticket in sorted(self.tickets, key=lambda t: not t.special):
            assert ticket.story(ticket) < self.now - CUTOFF, ticket
        # Today's sign-ins and sign-outs still to come are not history yet.
        self.steps = [s for s in self.steps if s[0] < self.now - CUTOFF]

    def plan_day(self, day: date) -> None:
        crew = [DANA, SAM, MORGAN]
        if day <= self.wd(ALEX_LAST_DAY) and day != self.wd(ALEX_NIGHT):  # he worked the night
            crew.append(ALEX)
        for agent in crew:
            start = self.at(day, 8, self.rng.randrange(5, 55))
            self.sign_in(agent, start)
            if self.rng.random() < 0.15:  # the desk locked itself over lunch
                self.sign_in(agent, self.at(day, 13, self.rng.randrange(0, 45)))
            self.audit(
                self.at(day, 17, self.rng.randrange(0, 50)), agent, "agent.signout", "success"
            )
            if agent is MORGAN:
                if day.weekday() == 0:
                    self.weekly_export(self.later(start, 4, 15), day)
                count = self.rng.choice((0, 0, 0, 1))
            elif agent is SAM and day == self.wd(1):
                count = 0  # the day of the six resets: nothing else got done
            else:
                count = self.rng.randint(1, 3)
            for _ in range(count):
                hh = self.rng.choice((9, 10, 11, 14, 15, 16))
                when = self.at(day, hh, self.rng.randrange(0, 45))
                self.tickets.append(_Ticket(when, agent, self.everyday))

    def sign_in(self, agent: Actor, at: datetime) -> None:
        if self.rng.random() < 0.04:  # a code typed from the wrong row of the app first
            failed = at - timedelta(seconds=self.rng.randint(30, 90))
            self.audit(failed, agent, "agent.signin", "failed", detail={"failed_attempts": 1})
        self.audit(at, agent, "agent.signin", "success")

    def weekly_export(self, at: datetime, monday: date) -> None:
        since = _local(monday - timedelta(days=7), 0, 0, 0)
        until = _local(monday, 0, 0, 0)
        filters = {"since": since.isoformat(), "until": until.isoformat()}
        self.audit(
            at, MORGAN, "audit.export", "success", detail={"format": "csv", "filters": filters}
        )

    # -- everyday tickets

    def everyday(self, ticket: _Ticket) -> datetime:
        """An ordinary ticket: a resend, a clock to fix, or a prompt to explain."""
        roll = self.rng.random()
        ticket.user = self.rng.choice(EVERYDAY_USERS)
        at = ticket.start
        sms = [f for f in self.factors_at(ticket.user, at, "sms") if f.phone not in NO_TEXTS]
        apps = self.factors_at(ticket.user, at, "totp")
        if roll < 0.35 and sms:
            return self.resend(ticket, sms[0])
        if roll < 0.7 and apps:
            return self.clock(ticket, apps[0])
        if roll < 0.88:
            note = self.rng.choice(
                (
                    "Asked because of a new laptop; explained the new-device prompt.",
                    "Signed in from a motel on the road: a new location, so Alvys asked.",
                    "Cleared the browser's cookies, so it looked new; explained, as expected.",
                    "Prompted at a customer's yard on their Wi-Fi; explained, nothing to change.",
                )
            )
            return self.resolve(ticket, self.later(at, 4, 12), "explained", note)
        note = self.rng.choice(
            (
                "Could not find the Alvys entry in the app; showed where it is.",
                "Typed the code of another account in the app; the right one works.",
                "Waited for a text but has the app set up; signed in with the app.",
            )
        )
        return self.resolve(ticket, self.later(at, 3, 9), "no_action_needed", note)

    def resolve(self, ticket: _Ticket, at: datetime, outcome: str, note: str) -> datetime:
        self.entry(
            ticket, at, "ticket.resolve", "success", reason=note, detail={"outcome": outcome}
        )
        return at

    def resend(self, ticket: _Ticket, factor: _Factor) -> datetime:
        at = ticket.start
        assert factor.phone is not None
        about = {"factor_id": factor.id, "phone": mask_e164(factor.phone)}
        if self.rng.random() < 0.3:
            stated = {"factor_id": factor.id, "stated": about["phone"]}
            self.entry(ticket, at, "sms.compare_number", "same", detail=stated)
            at = self.later(at, 1, 3)
        delivered = at + timedelta(seconds=self.rng.randint(3, 40))
        ref = hashlib.sha256(f"{factor.id}|{at.isoformat()}".encode()).hexdigest()[:20].upper()
        row = {
            "user_id": factor.user_id,
            "factor_id": factor.id,
            "phone_masked": about["phone"],
            "created_at": at,
            "updated_at": delivered,
            "status": "delivered",
            "provider_ref": f"SIM{ref}",
        }
        made: dict[str, int] = {}

        async def deliver(conn: AsyncConnection) -> None:
            key = (await conn.execute(sms_deliveries.insert().values(row))).inserted_primary_key
            assert key is not None
            made["id"] = int(key[0])

        self.steps.append((at, deliver))
        self.entry(
            ticket,
            at,
            "sms.resend",
            "queued",
            reason="user reports the text code did not arrive",
            detail=lambda: {**about, "delivery_id": made["id"], "gateway": "simulated"},
        )
        note = self.rng.choice(
            (
                "Resent the code; it arrived while we were on chat.",
                "No signal in the yard; resent once back inside, received.",
                "Resent; the first text had expired before it was typed in.",
            )
        )
        return self.resolve(ticket, self.later(at, 2, 6), "sms_resent", note)

    def clock(self, ticket: _Ticket, app: _Factor) -> datetime:
        roll = self.rng.random()
        if roll < 0.2:
            drift = self.rng.choice((-1, 1)) * 3600 + self.rng.randint(-20, 20)
            verdict, outcome = "wrong_time_zone", "clock_fixed"
            note = "Clock set by hand in the wrong time zone; set to automatic, codes work."
        elif roll < 0.32:
            drift = self.rng.randint(-12, 12)
            verdict, outcome = "clock_ok", "no_action_needed"
            note = "Clock is right and the codes match; the code had expired as it was typed."
        else:
            drift = self.rng.choice((-1, 1)) * self.rng.randint(35, 260)
            verdict, outcome = "set_time_automatic", "clock_fixed"
            how = "slow" if drift < 0 else "fast"
            note = f"Phone clock {abs(drift)} s {how}; set date and time to automatic, codes work."
        codes = self.rng.choice((1, 2, 2))
        detail = {
            "factor_id": app.id,
            "codes": codes,
            "phone_time": False,
            "verdict": verdict,
            "basis": "codes",
            "matched": True,
            "unique": codes == 2,
            "drift_s": drift,
        }
        self.entry(ticket, ticket.start, "totp.diagnose", "success", detail=detail)
        return self.resolve(ticket, self.later(ticket.start, 3, 10), outcome, note)

    # -- the stories a lead should find

    def plan_specials(self) -> None:
        email_and_place = (Check.EMAIL_CODE, Check.LAST_SIGNIN_LOCATION)
        self.story(
            self.at(self.wd(19), 10, 20),
            SAM,
            "u1026",
            self.reset_story("Phone stolen at a truck stop; same number, nothing set up yet."),
        )
        self.story(
            self.at(self.wd(17), 14, 5),
            ALEX,
            "u1031",
            self.approved_reset_story(
                "New work phone; IT wiped the old one before the authenticator was moved.",
                (Check.ACCOUNT_OWNER_CALLBACK, Check.EMAIL_CODE),
                note="Confirmed with Priya's manager; go ahead.",
            ),
        )
        self.story(self.at(self.wd(15), 11, 40), DANA, "u1006", self.reenrol_story)
        self.story(self.at(self.wd(14), 9, 35), DANA, "u1036", self.access_code_story)
        night = self.at(self.wd(ALEX_NIGHT), 2, 31, 12)
        self.sign_in(ALEX, night)
        self.story(
            night + timedelta(minutes=2),
            ALEX,
            "u1025",
            self.reset_story(
                "Lost his phone on the way to the depot; dispatch starts at 9 in Pune.",
                (Check.EMAIL_CODE, Check.TICKET_HISTORY),
                at_clock=(2, 40),
            ),
        )
        self.audit(night + timedelta(minutes=21), ALEX, "agent.signout", "success")
        self.story(
            self.at(self.wd(11), 15, 10),
            SAM,
            "u1011",
            self.reset_story(
                "Phone fell in the river at the border crossing; SMS was his only method.",
                (Check.EMAIL_CODE, Check.ACCOUNT_OWNER_CALLBACK),
            ),
        )
        first = next(b for b in range(10, 6, -1) if (self.wd(b) + timedelta(days=3)).weekday() < 5)
        self.story(
            self.at(self.wd(first), 10, 5),
            DANA,
            "u1023",
            self.reset_story("New phone; the authenticator did not move over, new number too."),
        )
        self.story(
            self.at(self.wd(first) + timedelta(days=3), 11, 15),
            SAM,
            "u1023",
            self.approved_reset_story(
                "Says the new phone was stolen in Madrid; nothing set up on the replacement.",
                (Check.EMAIL_CODE, Check.TICKET_HISTORY),
                note="Second reset in days: fine this once, he sent the police report.",
            ),
        )
        self.story(self.at(self.wd(6), 10, 50), SAM, "u1021", self.denied_story)
        self.story(self.at(self.wd(5), 14, 25), DANA, "u1018", self.removal_story)
        # The world's own reset of Sean Gallagher (T-1057 mentions it), to the second.
        reset = self.last_reset["u1035"]
        self.story(
            reset - timedelta(minutes=9),
            DANA,
            "u1035",
            self.reset_story("Old phone died; new iPhone, no other method set up.", exact=reset),
        )
        # The last working day: six resets by demo-agent2, and the last account taken over.
        spike = (
            ("u1017", 9, "Lost the Feitian key at the depot; no other method."),
            ("u1016", 10, "New phone from the office; the old one went back to IT."),
            ("u1029", 11, "Phone broken, new number next week; nothing else set up."),
            ("u1030", 13, "Changed phones over the weekend; authenticator not moved."),
            ("u1036", 14, "Lost phone on a delivery run; SMS was the only method."),
            ("u1020", 15, "Locked out after changing phones; urgent, in a meeting."),
        )
        for user, hh, reason in spike:
            taken = BUCHAREST_PROXY if user == "u1020" else None
            start = self.at(self.wd(1), hh, self.rng.randrange(5, 45))
            story = self.reset_story(reason, email_and_place, enrolled_from=taken)
            self.story(start, SAM, user, story)

    def story(self, start: datetime, agent: Actor, user: str, run: Story) -> None:
        self.tickets.append(_Ticket(start, agent, run, user=user, special=True))

    def challenge(
        self, ticket: _Ticket, at: datetime, channel: str = "email"
    ) -> tuple[datetime, str]:
        """A code sent to the e-mail on file (or a factor) and read back: when, and its id."""
        cid = base64.urlsafe_b64encode(self.rng.randbytes(16)).decode().rstrip("=")
        if channel == "email":
            destination = f"e-mail {mask_email(self.users[ticket.user].email)}"
            check = Check.EMAIL_CODE
        else:
            factor = self.factors_at(ticket.user, at, channel)[0]
            destination = factor.words
            if factor.phone:
                destination += f" ({mask_e164(factor.phone)})"
            check = Check.FACTOR_CHALLENGE
        sent = {"challenge_id": cid, "channel": channel, "destination": destination}
        self.entry(ticket, at, "recovery.challenge", "sent", detail=sent)
        answered = self.later(at, 1, 4)
        self.entry(
            ticket,
            answered,
            "recovery.challenge.answer",
            "verified",
            verification=[check.value],
            detail={"challenge_id": cid, "channel": channel},
        )
        return answered, cid

    def reset_effects(
        self, user_id: str, at: datetime, enrolled_from: _Where | None
    ) -> dict[str, Any]:
        """Every factor removed at `at`; the user enrolled the world's factors soon after."""
        if user_id in OLD_FACTORS:  # the world's own reset: its factors date from it already
            gone = [self.old_factor(f, user_id, at) for f in OLD_FACTORS[user_id]]
        else:
            enrol = self.later(at, 95, 140) if enrolled_from else self.later(at, 20, 90)
            again = self.factors_at(user_id, at)
            gone = [self.old_factor(factor, user_id, at) for factor in again]
            self.enrol_again(user_id, again, enrol, enrolled_from)
        self.last_reset[user_id] = at
        effect: dict[str, Any] = {"factors_removed": [g.words for g in gone]}
        if self.rng.random() < 0.4:
            effect["sessions_revoked"] = 1
        return effect

    def reset_story(
        self,
        reason: str,
        checks: Sequence[Check] = (Check.EMAIL_CODE, Check.LAST_SIGNIN_LOCATION),
        *,
        at_clock: tuple[int, int] | None = None,
        exact: datetime | None = None,
        enrolled_from: _Where | None = None,
    ) -> Story:
        def run(ticket: _Ticket) -> datetime:
            answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2))
            at = exact or self.later(answered, 1, 3)
            if at_clock is not None:
                at = _local(ticket.start.astimezone(TEAM_ZONE).date(), *at_clock, 7)
            target = self.target(ticket.user, at)
            decision = decide(
                Action.RESET_MFA,
                ticket.agent.role,
                target,
                ticket_id=ticket.id,
                reason=reason,
                checks=set(checks),
                now=at,
            )
            assert decision.allowed, (ticket.user, decision)
            effect = self.reset_effects(ticket.user, at, enrolled_from)
            self.entry(
                ticket,
                at,
                "mfa.reset",
                "success",
                reason=reason,
                verification=sorted(c.value for c in checks),
                detail={"verification_ids": [cid], **effect},
            )
            note = "Identity verified; MFA reset. Sets it up again at the next sign-in."
            return self.resolve(ticket, self.later(at, 2, 5), "mfa_reset", note)

        return run

    def approved_reset_story(self, reason: str, checks: Sequence[Check], *, note: str) -> Story:
        def run(ticket: _Ticket) -> datetime:
            answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2))
            asked = self.later(answered, 1, 3)
            decided = self.later(asked, 12, 30)
            self.approval(ticket, asked, decided, reason, checks, cid, approve=True, note=note)
            done = "MFA reset with a lead's approval; sets it up again at the next sign-in."
            return self.resolve(ticket, self.later(decided, 3, 8), "mfa_reset", done)

        return run

    def denied_story(self, ticket: _Ticket) -> datetime:
        answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2))
        asked = self.later(answered, 1, 3)
        decided = self.later(asked, 20, 40)
        self.approval(
            ticket,
            asked,
            decided,
            "Admin locked out after a phone upgrade; asks for a reset by chat.",
            (Check.EMAIL_CODE, Check.LAST_SIGNIN_LOCATION),
            cid,
            approve=False,
            note="An admin: needs the owner call-back first. Rang the company line, no answer.",
        )
        note = "Lead declined until the company's account owner confirms; user to call back."
        return self.resolve(ticket, self.later(decided, 4, 10), "escalated", note)

    def approval(
        self,
        ticket: _Ticket,
        asked: datetime,
        decided: datetime,
        reason: str,
        checks: Sequence[Check],
        cid: str,
        *,
        approve: bool,
        note: str,
    ) -> None:
        """A four-eyes request: stored and audited, then approved and carried out, or denied."""
        target = self.target(ticket.user, asked)
        names = sorted(c.value for c in checks)
        decision = decide(
            Action.RESET_MFA,
            ticket.agent.role,
            target,
            ticket_id=ticket.id,
            reason=reason,
            checks=set(checks),
            now=asked,
        )
        assert decision.outcome is Outcome.NEEDS_APPROVAL, (ticket.user, decision)
        params = {
            "requested_by_role": ticket.agent.role,
            "sensitive_because": list(sensitivity(target, asked)),
            "verification_ids": [cid],
        }
        row = {
            "action": Action.RESET_MFA.value,
            "target_user_id": ticket.user,
            "requested_by": ticket.agent.name,
            "ticket_id": ticket.id,
            "reason": reason,
            "verification": dump_checks(names),
            "params": dump_params(params),
            "status": "approved" if approve else "denied",
            "created_at": asked,
            "expires_at": approval_expires_at(asked),
            "decided_by": MORGAN.name,
            "decided_at": decided,
            "decision_note": note,
        }
        made: dict[str, int] = {}

        async def store(conn: AsyncConnection) -> None:
            key = (await conn.execute(approvals.insert().values(row))).inserted_primary_key
            assert key is not None
            made["id"] = int(key[0])

        self.steps.append((asked, store))
        paper = {"reason": reason, "verification": names}
        self.entry(
            ticket,
            asked,
            "mfa.reset",
            "pending_approval",
            detail=lambda: {
                "verification_ids": [cid],
                "approval_id": made["id"],
                "why": list(decision.reasons),
            },
            **paper,
        )

        def about() -> dict[str, Any]:
            return {
                "approval_id": made["id"],
                "action": Action.RESET_MFA.value,
                "requested_by": ticket.agent.name,
                "note": note,
            }

        rid = self.rid()
        lead = {"target_user": ticket.user, "ticket_id": ticket.id, **paper}
        if not approve:
            self.audit(decided, MORGAN, "approval.deny", "denied", rid=rid, detail=about, **lead)
            return
        self.audit(decided, MORGAN, "approval.approve", "approved", rid=rid, detail=about, **lead)
        effect = self.reset_effects(ticket.user, decided, None)
        self.entry(
            ticket,
            decided,
            "mfa.reset",
            "success",
            rid=rid,
            detail=lambda: {"approval_id": made["id"], "approved_by": MORGAN.name, **effect},
            **paper,
        )

    def reenrol_story(self, ticket: _Ticket) -> datetime:
        """No code matches and the clock is right: a stale secret. Refused without a check."""
        at = ticket.start
        app = self.factors_at(ticket.user, at, "totp")[0]
        self.entry(
            ticket,
            at,
            "totp.diagnose",
            "success",
            detail={
                "factor_id": app.id,
                "codes": 2,
                "phone_time": True,
                "verdict": "stale_secret",
                "basis": "codes",
                "matched": False,
                "unique": False,
            },
        )
        reason = "Restored the phone from an old backup; the app's codes never match."
        tried = self.later(at, 2, 4)
        refused = {"verification_ids": [], "code": "verification_required"}
        self.entry(
            ticket, tried, "totp.reenrol", "refused", reason=reason, verification=[], detail=refused
        )
        # Never a challenge to the app being re-enrolled: its secret is what is in doubt.
        answered, cid = self.challenge(ticket, self.later(tried, 1, 2), channel="sms")
        done = self.later(answered, 1, 2)
        remaining = sorted({f.type for f in self.factors_at(ticket.user, done) if f is not app})
        old = self.old_factor(app, ticket.user, done)
        self.enrol_again(ticket.user, [app], self.later(done, 30, 120), None)
        self.entry(
            ticket,
            done,
            "totp.reenrol",
            "success",
            reason=reason,
            verification=[Check.FACTOR_CHALLENGE.value],
            detail={
                "verification_ids": [cid],
                "factor_id": old.id,
                "label": old.label,
                "remaining_methods": remaining,
                "mfa_status": "active",
            },
        )
        note = "Stale secret after a restore; re-enrolled, new QR code at the next sign-in."
        return self.resolve(ticket, self.later(done, 2, 5), "reenrolled", note)

    def access_code_story(self, ticket: _Ticket) -> datetime:
        """Phone left at home and loads to book today: one sign-in, nothing removed."""
        answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2))
        at = self.later(answered, 1, 3)
        self.entry(
            ticket,
            at,
            "access_code.issue",
            "success",
            reason="Phone left at home 300 km away; has loads to book today.",
            verification=sorted((Check.EMAIL_CODE.value, Check.LAST_SIGNIN_LOCATION.value)),
            detail={
                "verification_ids": [cid],
                "factors_removed": [],
                "access_code_expires_at": (at + timedelta(seconds=ACCESS_CODE_S)).isoformat(),
            },
        )
        note = "One-time access code read out on the call; phone back tomorrow."
        return self.resolve(ticket, self.later(at, 2, 4), "access_code_issued", note)

    def removal_story(self, ticket: _Ticket) -> datetime:
        """A lost YubiKey while the authenticator app still works: challenge the app, remove."""
        answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2), channel="totp")
        gone = self.later(answered, 1, 3)
        lost = DemoFactor("security_key", "YubiKey (keyring)", key_model="YubiKey 5 NFC")
        key = self.old_factor(lost, ticket.user, gone)
        key.created_at = gone - timedelta(days=240)
        self.entry(
            ticket,
            gone,
            "factor.remove",
            "success",
            reason="YubiKey left in a rental car; the authenticator app still works.",
            verification=[Check.FACTOR_CHALLENGE.value],
            detail={"verification_ids": [cid], "factor_id": key.id, "factors_removed": [key.words]},
        )
        note = "Lost key removed; signs in with the authenticator app. New key on order."
        return self.resolve(ticket, self.later(gone, 2, 4), "factor_removed", note)

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


async def write_history(conn: AsyncConnection, world: DemoWorld, now: datetime) -> None:
    """Write the month before `now` into the log, oldest first, and leave today's state
    as that month left it.

    Call it inside the seeding transaction, after the world's rows and before the
    `demo.seed` entry.
    """
    past = _Past(world, now)
    past.plan()
    await past.settle(conn)  # removed factors first: deliveries and entries name them
    for _at, step in sorted(past.steps, key=lambda s: s[0]):
        await step(conn)
