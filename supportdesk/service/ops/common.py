"""What several operations share: who is calling, the account aimed at, the ticket that
justifies it, and the policy's refusals as errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules import factor_words as words
from supportdesk.rules.policy import Decision, RefusalCode, Target, TargetKind
from supportdesk.service.audit import Actor
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from supportdesk.service.provider import FactorRecord, UserRecord
from supportdesk.service.store import tickets


@dataclass(frozen=True)
class Principal:
    """A signed-in agent or lead, as resolved from the bearer token."""

    agent_id: int
    username: str
    display_name: str
    role: str
    session_id: int

    @property
    def actor(self) -> Actor:
        return Actor(name=self.username, role=self.role)


# -- the account ----------------------------------------------------------------------------


async def user_of(ctx: ServiceContext, conn: AsyncConnection, user_id: str) -> UserRecord:
    found = (await ctx.provider.users(conn, [user_id])).get(user_id)
    if found is None:
        raise NotFound(f"no user {user_id!r}")
    return found


@dataclass(frozen=True)
class TargetFacts:
    """The account an action is aimed at, as the policy and the audit log need it."""

    user: UserRecord
    factors: tuple[FactorRecord, ...]

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def target(self) -> Target:
        return target_of(self.user, len(self.factors))

    def factor(self, factor_id: str) -> FactorRecord | None:
        return next((f for f in self.factors if f.id == factor_id), None)


def target_of(user: UserRecord, factor_count: int) -> Target:
    return Target(
        kind=TargetKind(user.kind),
        is_admin=user.is_admin,
        is_staff=user.is_staff,
        last_mfa_reset_at=user.last_mfa_reset_at,
        factor_count=factor_count,
    )


async def load_target(ctx: ServiceContext, conn: AsyncConnection, user_id: str) -> TargetFacts:
    user, found = await user_and_factors(ctx, conn, user_id)
    return TargetFacts(user, tuple(found))


async def user_and_factors(
    ctx: ServiceContext, conn: AsyncConnection, user_id: str
) -> tuple[UserRecord, list[FactorRecord]]:
    found = await ctx.provider.user_with_factors(conn, user_id)
    if found is None:
        raise NotFound(f"no user {user_id!r}")
    return found


def factor_words(factor: FactorRecord) -> str:
    """How the desk and the audit name a factor: "Authenticator app 'Pixel'"."""
    return words.factor_words(factor.type, factor.label)


def mask_email(address: str) -> str:
    """Enough for the user to recognise ("b•••@cascadefreight.example"), not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def mask_phone(e164: str | None) -> str:
    # The numbering plans load with the first phone shown, not with the service.
    from supportdesk.rules.phone import mask_e164

    return mask_e164(e164) if e164 else "•••"


# -- the ticket -------------------------------------------------------------------------------

_UNKNOWN_SENDER = (
    "ticket {} is from an unknown sender: it is linked to no user, so no account change "
    "can be made under it (answer the sender, or ask them to write from their work address)"
)


async def ticket_problem(
    conn: AsyncConnection, ticket_id: str, user_id: str, *, must_be_open: bool = True
) -> str | None:
    """Why this ticket cannot justify a change to this user, or None when it can."""
    row = await tickets.owner_and_status(conn, ticket_id.strip())
    if row is None:
        return f"There is no ticket {ticket_id.strip()!r}."
    if row.user_id is None:
        return f"Ticket {ticket_id.strip()} is from an unknown sender, not from {user_id}."
    if row.user_id != user_id:
        return f"Ticket {ticket_id.strip()} is about another user, not {user_id}."
    if must_be_open and row.status != "open":
        return f"Ticket {ticket_id.strip()} is already resolved; open a new one for this change."
    return None


async def require_open_ticket(conn: AsyncConnection, ticket_id: str, user_id: str) -> None:
    """The ticket must be the user's and still open: every read and change answers one."""
    row = await tickets.owner_and_status(conn, ticket_id.strip())
    if row is None:
        raise InvalidInput(f"no ticket {ticket_id!r}", field="ticket_id")
    if row.user_id is None:
        raise InvalidInput(_UNKNOWN_SENDER.format(ticket_id), field="ticket_id")
    if row.user_id != user_id:
        raise InvalidInput(f"ticket {ticket_id} is about another user", field="ticket_id")
    if row.status != "open":
        raise Conflict(f"ticket {ticket_id} is already resolved")


async def require_users_ticket(conn: AsyncConnection, ticket_id: str | None, user_id: str) -> None:
    """A ticket named for the record must exist and be this user's (open or not)."""
    if ticket_id is None:
        return
    row = await tickets.owner_and_status(conn, ticket_id)
    if row is None:
        raise InvalidInput(f"no ticket {ticket_id!r}", field="ticket_id")
    if row.user_id is None:
        raise InvalidInput(_UNKNOWN_SENDER.format(ticket_id), field="ticket_id")
    if row.user_id != user_id:
        raise InvalidInput(f"ticket {ticket_id} belongs to another user", field="ticket_id")


# -- the policy's refusals -------------------------------------------------------------------------


def refusal_error(code: RefusalCode | str, reasons: Sequence[str]) -> ServiceError:
    """The API error for a policy refusal; its `code` is the policy's, so the desk can act."""
    message = " ".join(reasons)
    code = str(code)
    error: ServiceError
    if code == RefusalCode.TICKET_REQUIRED:
        error = InvalidInput(message, field="ticket_id")
    elif code == RefusalCode.REASON_REQUIRED:
        error = InvalidInput(message, field="reason")
    elif code == RefusalCode.VERIFICATION_REQUIRED:
        error = InvalidInput(message, field="checks")
    elif code in (RefusalCode.NO_OTHER_FACTOR, RefusalCode.APPROVAL_EXPIRED, "pending"):
        error = Conflict(message)
    elif code == "not_found":
        error = NotFound(message)
    else:
        error = Forbidden(message)
    if not isinstance(error, InvalidInput):
        error.code = code
    return error


def decision_refusal(decision: Decision) -> ServiceError:
    assert decision.code is not None
    return refusal_error(decision.code, decision.reasons)


def plain_refusal(decision: Decision) -> ServiceError:
    """The policy's answer as a plain API error (the authenticator branch's wording)."""
    message = " ".join(decision.reasons)
    fields = {
        RefusalCode.TICKET_REQUIRED: "ticket_id",
        RefusalCode.REASON_REQUIRED: "reason",
        RefusalCode.VERIFICATION_REQUIRED: "verification",
    }
    if decision.code in fields:
        return InvalidInput(message, field=fields[decision.code])
    if decision.code is RefusalCode.SERVICE_ACCOUNT:
        return Conflict(message)
    return Forbidden(message)
