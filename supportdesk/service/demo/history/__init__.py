"""The demo world's past: a month of support work, so a team lead has a log to review.

`write_history` writes about 30 days of what the desk really records (sign-ins and
sign-outs, resends, clock diagnoses, challenges, removals, resets, approvals, resolved
tickets) with the entries `service.audit.entries` builds for the desk itself, oldest
first, inside the seeding transaction and before the `demo.seed` entry. It is planned
from the world and `now` with a `random.Random` seeded by a constant: the same `now`
always gives the same log. The everyday month is `timeline`, the stories a lead should
find are `stories` (made of `four_eyes`), and `base` keeps what the plan tracks.

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

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.demo.history.base import TEAM_ZONE
from supportdesk.service.demo.history.stories import Stories
from supportdesk.service.demo.model import DemoWorld

__all__ = ["TEAM_ZONE", "write_history"]


async def write_history(conn: AsyncConnection, world: DemoWorld, now: datetime) -> None:
    """Write the month before `now` into the log, oldest first, and leave today's state
    as that month left it.

    Call it inside the seeding transaction, after the world's rows and before the
    `demo.seed` entry. The plan (`timeline`, `stories`) lives apart from the writing.
    """
    past = Stories(world, now)
    past.plan()
    await past.settle(conn)  # removed factors first: deliveries and entries name them
    for _at, step in sorted(past.steps, key=lambda s: s[0]):
        await step(conn)
