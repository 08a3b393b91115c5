"""The everyday month: sign-ins and sign-outs, weekly exports, and ordinary tickets
(a resend, a clock to fix, a prompt to explain), each written as the desk writes it."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.phone import mask_e164
from supportdesk.service.audit import Actor
from supportdesk.service.audit import entries as audit
from supportdesk.service.demo.history.base import (
    ALEX,
    ALEX_LAST_DAY,
    ALEX_NIGHT,
    CUTOFF,
    DANA,
    EVERYDAY_USERS,
    LAST_PAST_TICKET,
    MORGAN,
    NO_TEXTS,
    QUIET,
    SAM,
    Factor,
    Past,
    Ticket,
    local,
)
from supportdesk.service.store.schema import sms_deliveries


class Timeline(Past):
    """Plans the month day by day; the stories come from `plan_specials`."""

    def plan_specials(self) -> None:
        """The stories a lead should find (`stories.Stories`)."""

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
            self.log(self.at(day, 17, self.rng.randrange(0, 50)), audit.agent_signout(agent))
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
                self.tickets.append(Ticket(when, agent, self.everyday))

    def sign_in(self, agent: Actor, at: datetime) -> None:
        if self.rng.random() < 0.04:  # a code typed from the wrong row of the app first
            failed = at - timedelta(seconds=self.rng.randint(30, 90))
            self.log(failed, audit.agent_signin(agent, "failed", failed_attempts=1))
        self.log(at, audit.agent_signin(agent, "success"))

    def weekly_export(self, at: datetime, monday: date) -> None:
        since = local(monday - timedelta(days=7), 0, 0, 0)
        until = local(monday, 0, 0, 0)
        filters = {"since": since.isoformat(), "until": until.isoformat()}
        self.log(at, audit.audit_exported(MORGAN, fmt="csv", filters=filters))

    # -- everyday tickets

    def everyday(self, ticket: Ticket) -> datetime:
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

    def resolve(self, ticket: Ticket, at: datetime, outcome: str, note: str) -> datetime:
        entry = audit.ticket_resolved(
            ticket.agent, ticket_id=ticket.id, user_id=ticket.user, outcome=outcome, note=note
        )
        self.log(at, entry)
        return at

    def resend(self, ticket: Ticket, factor: Factor) -> datetime:
        at = ticket.start
        assert factor.phone is not None
        about = {"factor_id": factor.id, "phone": mask_e164(factor.phone)}
        if self.rng.random() < 0.3:
            compared = audit.number_compared(
                ticket.agent,
                user_id=ticket.user,
                ticket_id=ticket.id,
                outcome="same",
                factor_id=factor.id,
                stated=about["phone"],
            )
            self.log(at, compared)
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
        self.log(
            at,
            lambda: audit.sms_sent(
                ticket.agent,
                action="sms.resend",
                user_id=ticket.user,
                ticket_id=ticket.id,
                reason="user reports the text code did not arrive",
                outcome="queued",
                **about,
                delivery_id=made["id"],
                gateway="simulated",
            ),
        )
        note = self.rng.choice(
            (
                "Resent the code; it arrived while we were on chat.",
                "No signal in the yard; resent once back inside, received.",
                "Resent; the first text had expired before it was typed in.",
            )
        )
        return self.resolve(ticket, self.later(at, 2, 6), "sms_resent", note)

    def clock(self, ticket: Ticket, app: Factor) -> datetime:
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
        diagnosed = audit.totp_diagnosed(
            ticket.agent,
            user_id=ticket.user,
            ticket_id=ticket.id,
            factor_id=app.id,
            codes=codes,
            phone_time=False,
            verdict=verdict,
            basis="codes",
            matched=True,
            unique=codes == 2,
            drift_s=drift,
        )
        self.log(ticket.start, diagnosed)
        return self.resolve(ticket, self.later(ticket.start, 3, 10), outcome, note)
