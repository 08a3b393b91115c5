"""The user's own sign-in over our own tables: password, then a factor's code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.provider.builtin.base import (
    BuiltinBase,
    active_factor_rows,
    spend_totp_step,
    user_record,
)
from supportdesk.service.provider.interface import SignInStep, UserRecord
from supportdesk.service.security import (
    code_digest,
    codes_equal,
    match_totp,
    new_token,
    normalise_access_code,
    token_digest,
)
from supportdesk.service.store.schema import access_codes, factors, sms_codes, user_sessions, users


class EndUsers(BuiltinBase):
    _decoy_hash: str | None = None

    async def check_password(
        self, conn: AsyncConnection, email: str, password: str
    ) -> UserRecord | None:
        row = (await conn.execute(select(users).where(users.c.email == email))).first()
        passwords = self.env.passwords
        if row is None:
            if self._decoy_hash is None:
                self._decoy_hash = await passwords.make("not a password anyone has")
            await passwords.check(self._decoy_hash, password)  # the same cost either way
            return None
        if not await passwords.check(row.password_hash, password):
            return None
        return user_record(row._mapping)

    async def check_signin_code(
        self, conn: AsyncConnection, user: UserRecord, method: str, code: str, now: datetime
    ) -> SignInStep | None:
        key = self.env.server_key
        if method == "access_code":
            digest = code_digest(key, normalise_access_code(code))
            rows = await conn.execute(
                select(access_codes)
                .where(access_codes.c.user_id == user.id)
                .where(access_codes.c.used_at.is_(None))
                .where(access_codes.c.expires_at > now)
            )
            for row in rows:
                if codes_equal(row.code_hash, digest):
                    # Spent only if still unspent: two answers at once cannot both use it.
                    spent = await conn.execute(
                        access_codes.update()
                        .where(access_codes.c.id == row.id)
                        .where(access_codes.c.used_at.is_(None))
                        .values(used_at=now)
                    )
                    return "enrol_only" if spent.rowcount == 1 else None
            return None
        if user.mfa_status == "setup_required":
            return None
        for factor in await active_factor_rows(conn, user.id):
            if factor["type"] != method:
                continue
            if method == "totp" and factor["totp_secret"]:
                step = match_totp(factor["totp_secret"], code, now, factor["last_totp_step"])
                if step is not None and await spend_totp_step(
                    conn, factor["id"], step, last_used_at=now
                ):
                    return "signed_in"
            if method == "sms" and await self._spend_sms_code(conn, factor["id"], code, now):
                return "signed_in"
        return None

    async def _spend_sms_code(
        self, conn: AsyncConnection, factor_id: str, code: str, now: datetime
    ) -> bool:
        digest = code_digest(self.env.server_key, code.strip())
        live = (
            await conn.execute(
                select(sms_codes)
                .where(sms_codes.c.factor_id == factor_id)
                .where(sms_codes.c.dead_at.is_(None))
                .where(sms_codes.c.expires_at > now)
            )
        ).all()
        for code_row in live:
            if codes_equal(code_row.code_hash, digest):
                spent = await conn.execute(
                    sms_codes.update()
                    .where(sms_codes.c.id == code_row.id)
                    .where(sms_codes.c.dead_at.is_(None))
                    .values(dead_at=now)
                )
                if spent.rowcount != 1:
                    return False  # another answer spent it a moment ago
                await conn.execute(
                    factors.update().where(factors.c.id == factor_id).values(last_used_at=now)
                )
                return True
        return False

    async def open_user_session(
        self, conn: AsyncConnection, user: UserRecord, now: datetime
    ) -> str:
        token = new_token()
        await conn.execute(
            user_sessions.insert().values(
                user_id=user.id, token_hash=token_digest(token), created_at=now
            )
        )
        return token
