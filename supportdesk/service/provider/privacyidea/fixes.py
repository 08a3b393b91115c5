"""Authenticator checks, fixes and account changes, made in privacyIDEA."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.drift import DriftResult
from supportdesk.service.errors import Conflict, NotSupported
from supportdesk.service.provider import receipts
from supportdesk.service.provider.interface import (
    CodeVerdict,
    FactorRecord,
    IssuedCode,
    ProviderEvent,
    Retired,
    SignInStep,
    UserRecord,
)
from supportdesk.service.provider.privacyidea import directory
from supportdesk.service.provider.privacyidea.base import (
    AFTER_RESET,
    NO_CODE_DRIFT,
    SYSTEM,
    PiBase,
)
from supportdesk.service.provider.privacyidea.capabilities import (
    NO_ENDUSER,
    NO_REQUIRE,
    NO_RETIRE,
)
from supportdesk.service.provider.privacyidea.errors import PiNotFound, PiRefused
from supportdesk.service.provider.privacyidea.failures import calling
from supportdesk.service.provider.privacyidea.mapping import (
    shown,
)


class Fixes(PiBase):
    # -- authenticator apps -------------------------------------------------------------

    async def check_totp(
        self, conn: AsyncConnection, factor: FactorRecord, code: str, now: datetime
    ) -> CodeVerdict:
        with calling(f"check a code of token {factor.id}"):
            token = await self.pi.token(factor.id)
            if token.fail_locked:
                return CodeVerdict.LOCKED
            check = await self.pi.validate_check(code, serial=factor.id)
        self._changed(conn)  # a check moves the token's counters
        if check.accepted:
            return CodeVerdict.ACCEPTED
        if "previous otp used again" in check.message.lower():
            return CodeVerdict.REUSED
        return CodeVerdict.WRONG

    async def measure_drift(
        self,
        conn: AsyncConnection,
        factor: FactorRecord,
        codes: Sequence[str],
        now: datetime,
        window_steps: int,
    ) -> DriftResult:
        raise NotSupported(NO_CODE_DRIFT)

    async def resync_totp(
        self, conn: AsyncConnection, factor: FactorRecord, first: str, second: str, now: datetime
    ) -> bool:
        """privacyIDEA searches ±1000 steps; it answers 200 when the codes do not follow."""
        try:
            with calling(f"resync token {factor.id}"):
                try:
                    self._changed(conn)
                    await self.pi.resync(factor.id, first, second)
                except PiRefused:
                    return False
        finally:
            row = await self._row("POST /token/resync*", serial=factor.id)
            receipts.note(system=SYSTEM, serial=factor.id, audit_row=row)
        return True

    async def unlock_factor(self, conn: AsyncConnection, factor: FactorRecord) -> None:
        """`/token/reset`: the fail counter back to 0, so right codes pass again."""
        with calling(f"reset the fail counter of token {factor.id}"):
            self._changed(conn)
            done = await self.pi.reset_failcount(factor.id)
        if not done:
            raise Conflict(f"privacyIDEA reset no token {factor.id}")
        await self._noted("POST /token/reset*", factor.id)

    # -- changes ------------------------------------------------------------------------

    async def remove_factor(
        self, conn: AsyncConnection, user: UserRecord, factor: FactorRecord, now: datetime
    ) -> None:
        with calling(f"delete token {factor.id}"):
            self._changed(conn)
            await self.pi.delete(factor.id)
        await self._noted("DELETE /token*", factor.id)

    async def reset_mfa(self, conn: AsyncConnection, user: UserRecord, now: datetime) -> int:
        """Delete every token of the user (disabled and temporary ones too)."""
        for token in await self._tokens(conn, user.id):
            with calling(f"delete token {token.serial}"):
                try:
                    self._changed(conn)
                    await self.pi.delete(token.serial)
                except PiNotFound:
                    continue
            await self._noted("DELETE /token*", token.serial)
        await directory.mark_reset(conn, user.id, now)
        receipts.say(AFTER_RESET.format(name=user.name))
        return 0  # the desk keeps no sessions of end users in front of privacyIDEA

    async def retire_totp(
        self, conn: AsyncConnection, user: UserRecord, factor: FactorRecord, now: datetime
    ) -> Retired:
        raise NotSupported(NO_RETIRE)

    async def require_enrolment(
        self, conn: AsyncConnection, user: UserRecord, method: str, now: datetime
    ) -> None:
        raise NotSupported(NO_REQUIRE)

    async def issue_access_code(
        self, conn: AsyncConnection, user: UserRecord, issued_by: str, now: datetime
    ) -> IssuedCode:
        """privacyIDEA's lost token: the user's token is disabled and a temporary password
        token stands in for it, valid as long as its `losttoken_valid` policy says."""
        username, realm = await self._who(conn, user.id)
        tokens = [t for t in await self._tokens(conn, user.id) if shown(t)]
        if not tokens:
            raise Conflict(
                f"privacyIDEA issues a temporary code only in place of a lost token, and "
                f"{user.name} has none: enrol a token for them in privacyIDEA instead"
            )
        lost = next((t for t in tokens if t.tokentype.lower() == "totp"), tokens[0])
        with calling(f"issue a replacement for token {lost.serial}"):
            self._changed(conn)
            replacement = await self.pi.lost_token(lost.serial, user=username, realm=realm)
        row = await self._row("POST /token/lost*", serial=lost.serial)
        receipts.note(
            system=SYSTEM,
            serial=lost.serial,
            replacement_serial=replacement.serial,
            audit_row=row,
        )
        receipts.say(
            f"privacyIDEA disabled {lost.description or lost.serial} ({lost.serial}) and issued "
            f"the temporary token {replacement.serial}."
        )
        return IssuedCode(replacement.password.get_secret_value(), replacement.valid_until)

    # -- the user's own sign-in: not through the desk ------------------------------------

    async def check_password(
        self, conn: AsyncConnection, email: str, password: str
    ) -> UserRecord | None:
        raise NotSupported(NO_ENDUSER)

    async def check_signin_code(
        self, conn: AsyncConnection, user: UserRecord, method: str, code: str, now: datetime
    ) -> SignInStep | None:
        raise NotSupported(NO_ENDUSER)

    async def open_user_session(
        self, conn: AsyncConnection, user: UserRecord, now: datetime
    ) -> str:
        raise NotSupported(NO_ENDUSER)

    # -- privacyIDEA's own log ----------------------------------------------------------

    async def provider_events(
        self, conn: AsyncConnection, user_id: str, limit: int
    ) -> list[ProviderEvent]:
        """The user's rows in privacyIDEA's audit, with privacyIDEA's signature check."""
        username, realm = await self._who(conn, user_id)
        with calling(f"read the audit of {user_id}"):
            page = await self.pi.audit(user=username, realm=realm, page_size=limit)
        return [
            ProviderEvent(
                at=r.date,
                action=r.action,
                outcome="success" if r.success else "failure",
                factor_id=r.serial or None,
                detail=r.info or r.authentication,
                number=r.number,
                signature_ok=r.signature_ok,
            )
            for r in page.entries
        ]
