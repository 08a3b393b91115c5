"""Turning stored rows into wire models: the one place secrets are left behind."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import Factor, Ticket, UserProfile, UserSummary
from supportdesk.rules.phone import mask_e164
from supportdesk.service.db.schema import factors, tickets, users
from supportdesk.service.errors import NotFound


def factor_view(row: RowMapping) -> Factor:
    """A factor without its seed or full number."""
    return Factor(
        id=row["id"],
        type=row["type"],
        label=row["label"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        phone_masked=mask_e164(row["phone_e164"]) if row["phone_e164"] else None,
        key_model=row["key_model"],
    )


def summary_view(row: RowMapping, factor_types: Sequence[str]) -> UserSummary:
    return UserSummary(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        company=row["company"],
        region=row["region"],
        kind=row["kind"],
        is_admin=row["is_admin"],
        mfa_status=row["mfa_status"],
        factor_types=sorted(set(factor_types)),  # type: ignore[arg-type]
    )


async def active_factor_rows(conn: AsyncConnection, user_id: str) -> list[RowMapping]:
    result = await conn.execute(
        select(factors)
        .where(factors.c.user_id == user_id)
        .where(factors.c.removed_at.is_(None))
        .order_by(factors.c.created_at, factors.c.id)
    )
    return [r._mapping for r in result]


async def user_row(conn: AsyncConnection, user_id: str) -> RowMapping:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    if row is None:
        raise NotFound(f"no user {user_id!r}")
    return row._mapping


async def profile_view(conn: AsyncConnection, user_id: str) -> UserProfile:
    row = await user_row(conn, user_id)
    factor_rows = await active_factor_rows(conn, user_id)
    summary = summary_view(row, [f["type"] for f in factor_rows])
    return UserProfile(
        **summary.model_dump(),
        timezone=row["timezone"],
        is_staff=row["is_staff"],
        enrol_required=row["enrol_required"],
        created_at=row["created_at"],
        last_mfa_reset_at=row["last_mfa_reset_at"],
        factors=[factor_view(f) for f in factor_rows],
    )


TICKET_COLUMNS = (tickets, users.c.name.label("user_name"), users.c.company)


def ticket_view(row: RowMapping) -> Ticket:
    return Ticket(
        id=row["id"],
        user_id=row["user_id"],
        user_name=row["user_name"],
        company=row["company"],
        channel=row["channel"],
        subject=row["subject"],
        text=row["text"],
        created_at=row["created_at"],
        status=row["status"],
        outcome=row["outcome"],
        note=row["note"],
        resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"],
    )
