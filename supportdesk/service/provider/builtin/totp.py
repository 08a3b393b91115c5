"""Authenticator apps over our own tables: the secret never leaves this module's callers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.drift import DriftResult, find_drift
from supportdesk.service.errors import NotSupported
from supportdesk.service.provider.builtin.base import BuiltinBase, factor_row, spend_totp_step
from supportdesk.service.provider.interface import CodeVerdict, FactorRecord
from supportdesk.service.security import TOTP_STEP_S, check_totp

NO_RESYNC = (
    "the built-in store keeps no clock offset per app: it accepts a code one step either "
    "side, and a phone's clock is put right on the phone (the code check says how far off)"
)
NO_LOCK = (
    "the built-in store never locks a factor after wrong codes (the sign-in's own limit of "
    "five codes stands in), so there is nothing to unlock"
)


class Apps(BuiltinBase):
    async def check_totp(
        self, conn: AsyncConnection, factor: FactorRecord, code: str, now: datetime
    ) -> CodeVerdict:
        row = await factor_row(conn, factor.id)
        if row is None or not row["totp_secret"]:
            return CodeVerdict.WRONG
        match = check_totp(row["totp_secret"], code, now, row["last_totp_step"])
        if match.step is None:
            return CodeVerdict.REUSED if match.reused else CodeVerdict.WRONG
        if not await spend_totp_step(conn, factor.id, match.step):
            return CodeVerdict.REUSED  # another answer spent this step a moment ago
        return CodeVerdict.ACCEPTED

    async def measure_drift(
        self,
        conn: AsyncConnection,
        factor: FactorRecord,
        codes: Sequence[str],
        now: datetime,
        window_steps: int,
    ) -> DriftResult:
        row = await factor_row(conn, factor.id)
        if row is None or not row["totp_secret"]:
            raise NotSupported(f"factor {factor.id} has no authenticator secret to check")
        return find_drift(
            row["totp_secret"], codes, now, window_steps=window_steps, step=TOTP_STEP_S
        )

    async def resync_totp(
        self, conn: AsyncConnection, factor: FactorRecord, first: str, second: str, now: datetime
    ) -> bool:
        raise NotSupported(NO_RESYNC)

    async def unlock_factor(self, conn: AsyncConnection, factor: FactorRecord) -> None:
        raise NotSupported(NO_LOCK)
