"""Turning records into wire models: the one place secrets are left behind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.models import (
    BranchCorrection,
    Factor,
    SignInEvent,
    Ticket,
    TicketReply,
    TicketTriage,
    UserProfile,
    UserSummary,
)
from supportdesk.rules.phone import mask_e164
from supportdesk.rules.risk import SignIn
from supportdesk.service.context import ServiceContext
from supportdesk.service.ops.common import user_and_factors
from supportdesk.service.provider import FactorRecord, UserRecord


def factor_view(factor: FactorRecord) -> Factor:
    """A factor without its seed or full number."""
    return Factor(
        id=factor.id,
        type=factor.type,  # type: ignore[arg-type]
        label=factor.label,
        created_at=factor.created_at,
        last_used_at=factor.last_used_at,
        phone_masked=mask_e164(factor.phone_e164) if factor.phone_e164 else None,
        key_model=factor.key_model,
        locked=factor.locked,
        fail_count=factor.fail_count,
        max_fail=factor.max_fail,
    )


def _summary_fields(user: UserRecord, factor_types: Sequence[str]) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "company": user.company,
        "region": user.region,
        "kind": user.kind,
        "is_admin": user.is_admin,
        "mfa_status": user.mfa_status,
        "factor_types": sorted(set(factor_types)),
    }


def summary_view(user: UserRecord, factor_types: Sequence[str]) -> UserSummary:
    return UserSummary(**_summary_fields(user, factor_types))


def profile_of(user: UserRecord, factors: Sequence[FactorRecord]) -> UserProfile:
    """The summary's fields and the rest, validated once (not built as a summary first)."""
    return UserProfile(
        **_summary_fields(user, [f.type for f in factors]),
        timezone=user.timezone,
        is_staff=user.is_staff,
        enrol_required=user.enrol_required,  # type: ignore[arg-type]
        created_at=user.created_at,
        last_mfa_reset_at=user.last_mfa_reset_at,
        factors=[factor_view(f) for f in factors],
    )


async def profile_view(ctx: ServiceContext, conn: AsyncConnection, user_id: str) -> UserProfile:
    return profile_of(*await user_and_factors(ctx, conn, user_id))


def signin_view(event: SignIn) -> SignInEvent:
    return SignInEvent.model_validate(asdict(event))


def ticket_view(
    row: Mapping[Any, Any],
    users: Mapping[str, UserRecord],
    awaiting: Sequence[str] | set[str],
    *,
    triage: TicketTriage | None = None,
    correction: BranchCorrection | None = None,
    replies: Sequence[TicketReply] = (),
    counts: Mapping[str, int] | None = None,
) -> Ticket:
    user = users.get(row["user_id"]) if row["user_id"] else None
    return Ticket(
        id=row["id"],
        user_id=row["user_id"],
        user_name=_who(row, user),
        company=user.company if user else "",
        channel=row["channel"],
        subject=row["subject"],
        text=row["text"],
        created_at=row["created_at"],
        status=row["status"],
        outcome=row["outcome"],
        note=row["note"],
        resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"],
        awaiting_lead=row["id"] in awaiting,
        triage=triage,
        correction=correction,
        replies=list(replies),
        sender=row.get("sender"),
        messages=(counts or {}).get(row["id"], 0),
    )


def _who(row: Mapping[Any, Any], user: UserRecord | None) -> str:
    """The user's name, or who wrote when the sender matched nobody."""
    if user is not None:
        return user.name
    if row["user_id"]:
        return str(row["user_id"])
    sender = row.get("sender_name") or row.get("sender") or "someone"
    return f"unknown user ({sender})"
