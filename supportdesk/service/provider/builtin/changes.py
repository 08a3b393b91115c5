"""What account changes do to our own tables (the policy, approvals and audit are the
operation's; by the time one of these runs, the desk has said yes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.errors import NotSupported
from supportdesk.service.provider.builtin.base import BuiltinBase, active_factor_rows
from supportdesk.service.provider.interface import (
    FactorRecord,
    IssuedCode,
    ProviderEvent,
    Retired,
    UserRecord,
)
from supportdesk.service.security import code_digest, new_access_code, normalise_access_code
from supportdesk.service.store.schema import access_codes, factors, user_sessions, users

NO_OWN_LOG = "every change to the built-in store is in the desk's own audit log"


class Changes(BuiltinBase):
    async def remove_factor(
        self, conn: AsyncConnection, user: UserRecord, factor: FactorRecord, now: datetime
    ) -> None:
        await conn.execute(factors.update().where(factors.c.id == factor.id).values(removed_at=now))

    async def reset_mfa(self, conn: AsyncConnection, user: UserRecord, now: datetime) -> int:
        await conn.execute(
            factors.update()
            .where(factors.c.user_id == user.id)
            .where(factors.c.removed_at.is_(None))
            .values(removed_at=now)
        )
        await conn.execute(
            users.update()
            .where(users.c.id == user.id)
            .values(mfa_status="setup_required", enrol_required=None, last_mfa_reset_at=now)
        )
        revoked = await conn.execute(
            user_sessions.update()
            .where(user_sessions.c.user_id == user.id)
            .where(user_sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(revoked.rowcount)

    async def retire_totp(
        self, conn: AsyncConnection, user: UserRecord, factor: FactorRecord, now: datetime
    ) -> Retired:
        active = await active_factor_rows(conn, user.id)
        remaining = sorted({f["type"] for f in active if f["id"] != factor.id})
        mfa_status = user.mfa_status if remaining else "setup_required"
        await conn.execute(
            factors.update()
            .where(factors.c.id == factor.id)
            .values(removed_at=now, totp_secret=None, last_totp_step=None)
        )
        await conn.execute(
            users.update()
            .where(users.c.id == user.id)
            .values(enrol_required="totp", mfa_status=mfa_status)
        )
        return Retired(remaining, mfa_status)

    async def require_enrolment(
        self, conn: AsyncConnection, user: UserRecord, method: str, now: datetime
    ) -> None:
        await conn.execute(
            users.update().where(users.c.id == user.id).values(enrol_required=method)
        )

    async def issue_access_code(
        self, conn: AsyncConnection, user: UserRecord, issued_by: str, now: datetime
    ) -> IssuedCode:
        code = new_access_code()
        expires = now + timedelta(seconds=self.env.settings.access_code_s)
        # Only one live code per user: a new one (say, after a lost answer) replaces the old.
        await conn.execute(
            access_codes.update()
            .where(access_codes.c.user_id == user.id)
            .where(access_codes.c.used_at.is_(None))
            .where(access_codes.c.expires_at > now)
            .values(expires_at=now)
        )
        await conn.execute(
            access_codes.insert().values(
                user_id=user.id,
                code_hash=code_digest(self.env.server_key, normalise_access_code(code)),
                issued_by=issued_by,
                created_at=now,
                expires_at=expires,
            )
        )
        return IssuedCode(code, expires)

    async def provider_events(
        self, conn: AsyncConnection, user_id: str, limit: int
    ) -> list[ProviderEvent]:
        raise NotSupported(NO_OWN_LOG)
