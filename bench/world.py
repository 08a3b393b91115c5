"""A bigger demo world for load and fault runs: many agents, leads, and targets to change.

The demo world has three staff accounts (demo-agent, demo-agent2, demo-lead)
and a few dozen customers, each story used once. A load of 50 agents needs
50 accounts (one TOTP code per account per 30 s step, one session each, as
50 kiosks would have) and targets that repeated changes do not use up:

- reset users: reset once (200), then sensitive for 7 days, so every later
  reset is filed for a lead (202) and a lead's approval carries it out; the
  cycle repeats for as long as the run lasts, on the same open ticket;
- removal users: several factors each, removed one at a time (200) until one
  is left; the load generator counts a user with one factor as used up;
- SMS users: a valid mobile in a supported country, for resends;
- tickets to resolve: each resolves once.

Everything is the demo world plus these rows, written by the demo seeder
before `supportdesk serve --demo` starts (which then finds the store seeded).
Accounts share the demo password, "demo".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from supportdesk.service.demo.model import DemoAgent, DemoFactor, DemoTicket, DemoUser, DemoWorld
from supportdesk.service.demo.world import demo_world

MOBILES = ("+447400123456", "+13125550176", "+15055550147", "+12145550160")
"""Valid mobiles in countries the SMS rules serve (the simulated carrier delivers them)."""


@dataclass(frozen=True)
class Target:
    user_id: str
    ticket_id: str


@dataclass
class AgentTargets:
    """What one bench agent works on; no two agents share a target."""

    username: str
    reset_users: list[Target] = field(default_factory=list)
    removal_users: list[Target] = field(default_factory=list)
    sms_users: list[Target] = field(default_factory=list)
    resolve_tickets: list[Target] = field(default_factory=list)

    @property
    def all_users(self) -> list[Target]:
        return [*self.reset_users, *self.removal_users, *self.sms_users]


@dataclass(frozen=True)
class BenchWorld:
    world: DemoWorld
    agents: list[AgentTargets]
    leads: list[str]


def agent_name(n: int) -> str:
    return f"bench-agent-{n:02d}"


def lead_name(n: int) -> str:
    return f"bench-lead-{n}"


def _user(user_id: str, name: str, factors: tuple[DemoFactor, ...]) -> DemoUser:
    return DemoUser(
        id=user_id,
        name=name,
        email=f"{user_id}@bench.example",
        company=f"Bench Freight {user_id[:3].upper()}",
        region="GB",
        timezone="Europe/London",
        factors=factors,
    )


def _ticket(ticket_id: str, user_id: str, subject: str) -> DemoTicket:
    return DemoTicket(
        id=ticket_id,
        user_id=user_id,
        channel="messenger",
        subject=subject,
        text=f"{subject} (bench ticket)",
        age_minutes=30,
    )


def bench_world(
    agents: int,
    leads: int,
    *,
    reset_users: int = 2,
    removal_users: int = 6,
    removable_factors: int = 5,
    sms_users: int = 4,
    resolve_tickets: int = 50,
) -> BenchWorld:
    """The demo world plus `agents` bench agents and `leads` bench leads, each with targets."""
    base = demo_world()
    staff: list[DemoAgent] = list(base.agents)
    users: list[DemoUser] = list(base.users)
    tickets: list[DemoTicket] = list(base.tickets)
    plans: list[AgentTargets] = []
    for a in range(1, agents + 1):
        plan = AgentTargets(agent_name(a))
        staff.append(DemoAgent(plan.username, f"Bench Agent {a:02d}", "agent"))
        prefix = f"b{a:02d}"
        for n in range(1, reset_users + 1):
            uid = f"{prefix}r{n}"
            users.append(_user(uid, f"Reset User {a:02d}-{n}", (_sms("Mobile", a + n),)))
            tickets.append(_ticket(f"BT{prefix}r{n}", uid, "lost my phone, please reset"))
            plan.reset_users.append(Target(uid, f"BT{prefix}r{n}"))
        for n in range(1, removal_users + 1):
            uid = f"{prefix}f{n}"
            kept = DemoFactor(type="totp", label="Authenticator")
            spare = tuple(_sms(f"Old mobile {k}", a + k) for k in range(removable_factors))
            users.append(_user(uid, f"Factor User {a:02d}-{n}", (kept, *spare)))
            tickets.append(_ticket(f"BT{prefix}f{n}", uid, "remove my old phones"))
            plan.removal_users.append(Target(uid, f"BT{prefix}f{n}"))
        for n in range(1, sms_users + 1):
            uid = f"{prefix}s{n}"
            users.append(_user(uid, f"Text User {a:02d}-{n}", (_sms("Mobile", a * 7 + n),)))
            tickets.append(_ticket(f"BT{prefix}s{n}", uid, "the text code never comes"))
            plan.sms_users.append(Target(uid, f"BT{prefix}s{n}"))
        owner = f"{prefix}t"
        users.append(_user(owner, f"Ticket User {a:02d}", (_sms("Mobile", a),)))
        for n in range(1, resolve_tickets + 1):
            tid = f"BT{prefix}t{n}"
            tickets.append(_ticket(tid, owner, f"question {n}"))
            plan.resolve_tickets.append(Target(owner, tid))
        plans.append(plan)
    lead_names = [lead_name(n) for n in range(1, leads + 1)]
    staff.extend(DemoAgent(name, f"Bench Lead {n}", "lead") for n, name in enumerate(lead_names, 1))
    world = replace(base, agents=tuple(staff), users=tuple(users), tickets=tuple(tickets))
    return BenchWorld(world=world, agents=plans, leads=lead_names)


def _sms(label: str, n: int) -> DemoFactor:
    return DemoFactor(type="sms", label=label, phone=MOBILES[n % len(MOBILES)])


async def seed_bench_store(db_url: str, bench: BenchWorld) -> None:
    """Write the bench world into an empty store, the way `serve --demo` seeds the demo."""
    from supportdesk.service.context import open_context
    from supportdesk.service.demo.seed import seed_world
    from supportdesk.service.settings import ServiceSettings

    ctx = await open_context(ServiceSettings(db_url=db_url, demo_mode=True))
    try:
        await seed_world(ctx.engine, bench.world, ctx.passwords, ctx.clock.now())
    finally:
        await ctx.engine.dispose()
