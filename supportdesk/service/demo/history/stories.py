"""The stories a lead should find in the month: resets, four-eyes approvals, a re-enrolment,
an access code and a removed key, each with the challenges and entries it really takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from supportdesk.rules.policy import (
    Action,
    Check,
    decide,
)
from supportdesk.service.audit import Actor
from supportdesk.service.audit import entries as audit
from supportdesk.service.demo.history.base import (
    ACCESS_CODE_S,
    ALEX,
    ALEX_NIGHT,
    BUCHAREST_PROXY,
    DANA,
    SAM,
    TEAM_ZONE,
    Story,
    Ticket,
    Where,
    local,
)
from supportdesk.service.demo.history.four_eyes import FourEyes
from supportdesk.service.demo.model import DemoFactor

Detail = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


class Stories(FourEyes):
    """The month with its stories."""

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
        self.log(night + timedelta(minutes=21), audit.agent_signout(ALEX))
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
        self.tickets.append(Ticket(start, agent, run, user=user, special=True))

    def reset_story(
        self,
        reason: str,
        checks: Sequence[Check] = (Check.EMAIL_CODE, Check.LAST_SIGNIN_LOCATION),
        *,
        at_clock: tuple[int, int] | None = None,
        exact: datetime | None = None,
        enrolled_from: Where | None = None,
    ) -> Story:
        def run(ticket: Ticket) -> datetime:
            answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2))
            at = exact or self.later(answered, 1, 3)
            if at_clock is not None:
                at = local(ticket.start.astimezone(TEAM_ZONE).date(), *at_clock, 7)
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
            names = [c.value for c in checks]
            detail = {"verification_ids": [cid], **effect}
            self.change(ticket, at, Action.RESET_MFA, "success", reason, names, detail)
            note = "Identity verified; MFA reset. Sets it up again at the next sign-in."
            return self.resolve(ticket, self.later(at, 2, 5), "mfa_reset", note)

        return run

    def reenrol_story(self, ticket: Ticket) -> datetime:
        """No code matches and the clock is right: a stale secret. Refused without a check."""
        at = ticket.start
        app = self.factors_at(ticket.user, at, "totp")[0]
        diagnosed = audit.totp_diagnosed(
            ticket.agent,
            user_id=ticket.user,
            ticket_id=ticket.id,
            factor_id=app.id,
            codes=2,
            phone_time=True,
            verdict="stale_secret",
            basis="codes",
            matched=False,
            unique=False,
        )
        self.log(at, diagnosed)
        reason = "Restored the phone from an old backup; the app's codes never match."
        tried = self.later(at, 2, 4)
        refused = {"verification_ids": [], "code": "verification_required"}
        self.change(ticket, tried, Action.REENROL_TOTP, "refused", reason, [], refused)
        # Never a challenge to the app being re-enrolled: its secret is what is in doubt.
        answered, cid = self.challenge(ticket, self.later(tried, 1, 2), channel="sms")
        done = self.later(answered, 1, 2)
        remaining = sorted({f.type for f in self.factors_at(ticket.user, done) if f is not app})
        old = self.old_factor(app, ticket.user, done)
        self.enrol_again(ticket.user, [app], self.later(done, 30, 120), None)
        detail = {
            "verification_ids": [cid],
            "factor_id": old.id,
            "label": old.label,
            "remaining_methods": remaining,
            "mfa_status": "active",
        }
        checks = [Check.FACTOR_CHALLENGE.value]
        self.change(ticket, done, Action.REENROL_TOTP, "success", reason, checks, detail)
        note = "Stale secret after a restore; re-enrolled, new QR code at the next sign-in."
        return self.resolve(ticket, self.later(done, 2, 5), "reenrolled", note)

    def access_code_story(self, ticket: Ticket) -> datetime:
        """Phone left at home and loads to book today: one sign-in, nothing removed."""
        answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2))
        at = self.later(answered, 1, 3)
        self.change(
            ticket,
            at,
            Action.ISSUE_ACCESS_CODE,
            "success",
            "Phone left at home 300 km away; has loads to book today.",
            [Check.EMAIL_CODE.value, Check.LAST_SIGNIN_LOCATION.value],
            {
                "verification_ids": [cid],
                "factors_removed": [],
                "access_code_expires_at": (at + timedelta(seconds=ACCESS_CODE_S)).isoformat(),
            },
        )
        note = "One-time access code read out on the call; phone back tomorrow."
        return self.resolve(ticket, self.later(at, 2, 4), "access_code_issued", note)

    def removal_story(self, ticket: Ticket) -> datetime:
        """A lost YubiKey while the authenticator app still works: challenge the app, remove."""
        answered, cid = self.challenge(ticket, self.later(ticket.start, 1, 2), channel="totp")
        gone = self.later(answered, 1, 3)
        lost = DemoFactor("security_key", "YubiKey (keyring)", key_model="YubiKey 5 NFC")
        key = self.old_factor(lost, ticket.user, gone)
        key.created_at = gone - timedelta(days=240)
        self.change(
            ticket,
            gone,
            Action.REMOVE_FACTOR,
            "success",
            "YubiKey left in a rental car; the authenticator app still works.",
            [Check.FACTOR_CHALLENGE.value],
            {"verification_ids": [cid], "factor_id": key.id, "factors_removed": [key.words]},
        )
        note = "Lost key removed; signs in with the authenticator app. New key on order."
        return self.resolve(ticket, self.later(gone, 2, 4), "factor_removed", note)
