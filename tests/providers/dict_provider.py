"""A second identity provider, for tests only: users and factors kept in dicts, no SMS.

It exists to prove that a provider is one package: operations (policy, four-eyes, limits,
audit) work the same over it as over the built-in one, and `/v1/capabilities` reports what
it lacks. It copies the demo world's people (so the desk's own tables, whose tickets and
approvals name those user ids, stay consistent) and keeps its own authenticator secrets.

`dict_context(path)` opens a service context on a demo store with this provider behind it;
the `dict_ctx` fixture (tests/conftest.py) gives one per test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pyotp
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.drift import DriftResult, find_drift
from supportdesk.rules.risk import SignIn
from supportdesk.service.clock import Clock
from supportdesk.service.context import ServiceContext, open_context
from supportdesk.service.demo.model import DemoWorld
from supportdesk.service.demo.world import demo_world
from supportdesk.service.errors import NotSupported
from supportdesk.service.provider import (
    Capability,
    CodeVerdict,
    FactorRecord,
    FoundUser,
    IssuedCode,
    ProviderEnv,
    ProviderEvent,
    QueuedSms,
    Retired,
    SignInStep,
    SmsDeliveryRecord,
    SmsPurpose,
    SmsState,
    UserRecord,
)
from supportdesk.service.security import TOTP_STEP_S, check_totp, new_access_code
from supportdesk.service.store.engine import sqlite_url
from tests.support import FROZEN_NOW, fast_settings

NO_SMS = "this test provider sends no texts"
NO_RECEIPTS = "this test provider sends no texts, so it has no delivery receipts"
NO_RESYNC = "this test provider keeps no clock offset per app"
NO_LOCK = "this test provider never locks a factor"
NO_ENDUSER = "this test provider has no sign-in of its own for end users"
NO_LOG = "this test provider keeps no log of its own"

CAPABILITIES = {
    **{capability: None for capability in Capability},
    Capability.SEND_SMS: NO_SMS,
    Capability.SMS_RECEIPTS: NO_RECEIPTS,
    Capability.RESYNC_TOTP: NO_RESYNC,
    Capability.UNLOCK_FACTOR: NO_LOCK,
    Capability.ENDUSER_SIGNIN: NO_ENDUSER,
    Capability.PROVIDER_AUDIT: NO_LOG,
}


class DictProvider:
    """Every call of `IdentityProvider` over plain dicts (the `conn` is never used)."""

    name = "dict"

    def __init__(
        self,
        world: DemoWorld,
        now: datetime,
        lacking: Mapping[Capability, str] | None = None,
    ) -> None:
        self.capabilities: dict[Capability, str | None] = {**CAPABILITIES, **(lacking or {})}
        self.people: dict[str, UserRecord] = {}
        self.tokens: dict[str, FactorRecord] = {}
        self.active: dict[str, list[str]] = {}
        self.secrets: dict[str, str] = {}
        self.last_step: dict[str, int] = {}
        self.history: dict[str, list[SignIn]] = {}
        self.access_codes: dict[str, IssuedCode] = {}
        for user in world.users:
            self.people[user.id] = UserRecord(
                id=user.id,
                name=user.name,
                email=user.email,
                company=user.company,
                region=user.region,
                timezone=user.timezone,
                kind=user.kind,
                is_admin=user.is_admin,
                is_staff=user.is_staff,
                mfa_status=user.mfa_status,
                enrol_required=None,
                last_mfa_reset_at=(
                    now - timedelta(days=user.last_mfa_reset_days_ago)
                    if user.last_mfa_reset_days_ago is not None
                    else None
                ),
                created_at=now - timedelta(days=user.created_days_ago),
            )
            self.active[user.id] = []
            for n, factor in enumerate(user.factors, start=1):
                factor_id = f"{user.id}-f{n}"
                used = factor.last_used_days_ago
                self.tokens[factor_id] = FactorRecord(
                    id=factor_id,
                    user_id=user.id,
                    type=factor.type,
                    label=factor.label,
                    created_at=now - timedelta(days=factor.created_days_ago),
                    last_used_at=now - timedelta(days=used) if used is not None else None,
                    phone_e164=factor.phone,
                    key_model=factor.key_model,
                )
                self.active[user.id].append(factor_id)
                if factor.type == "totp":
                    self.secrets[factor_id] = pyotp.random_base32()
            self.history[user.id] = sorted(
                (s.placed(now) for s in user.signins),
                key=lambda s: s.at,
                reverse=True,
            )

    # -- for tests: what the user's own authenticator shows

    def code_now(self, factor_id: str, at: datetime, shift_s: int = 0) -> str:
        return str(pyotp.TOTP(self.secrets[factor_id]).at(at + timedelta(seconds=shift_s)))

    # -- users and factors

    async def find_users(self, conn: AsyncConnection, query: str, limit: int) -> list[FoundUser]:
        term = query.strip().lower()
        hits = [
            u
            for u in self.people.values()
            if not term
            or term in u.name.lower()
            or term in u.email.lower()
            or term in u.company.lower()
            or term == u.id
        ]
        hits.sort(key=lambda u: u.name)
        return [
            FoundUser(u, tuple(self.tokens[f].type for f in self.active[u.id]))
            for u in hits[:limit]
        ]

    async def users(self, conn: AsyncConnection, ids: Collection[str]) -> dict[str, UserRecord]:
        return {i: self.people[i] for i in ids if i in self.people}

    async def factors(self, conn: AsyncConnection, user_id: str) -> list[FactorRecord]:
        return [self.tokens[f] for f in self.active.get(user_id, [])]

    async def user_with_factors(
        self, conn: AsyncConnection, user_id: str
    ) -> tuple[UserRecord, list[FactorRecord]] | None:
        if user_id not in self.people:
            return None
        return self.people[user_id], await self.factors(conn, user_id)

    async def factors_by_id(
        self, conn: AsyncConnection, ids: Collection[str]
    ) -> dict[str, FactorRecord]:
        return {i: self.tokens[i] for i in ids if i in self.tokens}

    # -- sign-ins

    async def sign_ins(
        self,
        conn: AsyncConnection,
        user_id: str,
        *,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[SignIn]:
        found = [s for s in self.history.get(user_id, []) if since is None or s.at >= since]
        return found[:limit] if limit is not None else found

    async def sign_ins_of(
        self, conn: AsyncConnection, user_ids: Collection[str], *, until: datetime
    ) -> list[tuple[str, SignIn]]:
        return [(u, s) for u in user_ids for s in self.history.get(u, []) if s.at < until]

    # -- texts: not offered

    async def queue_sms(
        self,
        conn: AsyncConnection,
        user: UserRecord,
        factor: FactorRecord,
        purpose: SmsPurpose,
        now: datetime,
    ) -> QueuedSms:
        raise NotSupported(NO_SMS)

    async def send_sms(self, queued: QueuedSms, now: datetime) -> SmsState:
        raise NotSupported(NO_SMS)

    async def settle_sms(
        self, conn: AsyncConnection, queued: QueuedSms, state: SmsState, now: datetime
    ) -> SmsDeliveryRecord | None:
        raise NotSupported(NO_SMS)

    async def check_sms_code(
        self, conn: AsyncConnection, factor_id: str, code: str, handle: str, now: datetime
    ) -> bool:
        raise NotSupported(NO_SMS)

    async def sms_deliveries(
        self, user_id: str, limit: int, now: datetime
    ) -> list[SmsDeliveryRecord]:
        raise NotSupported(NO_RECEIPTS)

    # -- authenticator apps

    async def check_totp(
        self, conn: AsyncConnection, factor: FactorRecord, code: str, now: datetime
    ) -> CodeVerdict:
        secret = self.secrets.get(factor.id)
        if secret is None or factor.id not in self.active.get(factor.user_id, []):
            return CodeVerdict.WRONG
        match = check_totp(secret, code, now, self.last_step.get(factor.id))
        if match.step is None:
            return CodeVerdict.REUSED if match.reused else CodeVerdict.WRONG
        self.last_step[factor.id] = match.step
        return CodeVerdict.ACCEPTED

    async def measure_drift(
        self,
        conn: AsyncConnection,
        factor: FactorRecord,
        codes: Sequence[str],
        now: datetime,
        window_steps: int,
    ) -> DriftResult:
        return find_drift(
            self.secrets[factor.id], codes, now, window_steps=window_steps, step=TOTP_STEP_S
        )

    async def resync_totp(
        self, conn: AsyncConnection, factor: FactorRecord, first: str, second: str, now: datetime
    ) -> bool:
        raise NotSupported(NO_RESYNC)

    async def unlock_factor(self, conn: AsyncConnection, factor: FactorRecord) -> None:
        raise NotSupported(NO_LOCK)

    # -- changes

    def _set(self, user: UserRecord, **changes: object) -> None:
        self.people[user.id] = dataclasses.replace(self.people[user.id], **changes)  # type: ignore[arg-type]

    async def remove_factor(
        self, conn: AsyncConnection, user: UserRecord, factor: FactorRecord, now: datetime
    ) -> None:
        self.active[user.id].remove(factor.id)

    async def reset_mfa(self, conn: AsyncConnection, user: UserRecord, now: datetime) -> int:
        self.active[user.id] = []
        self._set(user, mfa_status="setup_required", enrol_required=None, last_mfa_reset_at=now)
        return 0

    async def retire_totp(
        self, conn: AsyncConnection, user: UserRecord, factor: FactorRecord, now: datetime
    ) -> Retired:
        self.active[user.id].remove(factor.id)
        self.secrets.pop(factor.id, None)
        remaining = sorted({self.tokens[f].type for f in self.active[user.id]})
        status = self.people[user.id].mfa_status if remaining else "setup_required"
        self._set(user, enrol_required="totp", mfa_status=status)
        return Retired(remaining, status)

    async def require_enrolment(
        self, conn: AsyncConnection, user: UserRecord, method: str, now: datetime
    ) -> None:
        self._set(user, enrol_required=method)

    async def issue_access_code(
        self, conn: AsyncConnection, user: UserRecord, issued_by: str, now: datetime
    ) -> IssuedCode:
        issued = IssuedCode(new_access_code(), now + timedelta(hours=1))
        self.access_codes[user.id] = issued
        return issued

    # -- the user's own sign-in: not offered

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

    async def provider_events(
        self, conn: AsyncConnection, user_id: str, limit: int
    ) -> list[ProviderEvent]:
        raise NotSupported(NO_LOG)


def dict_provider(env: ProviderEnv) -> DictProvider:
    """The factory `open_context(provider=...)` takes."""
    return DictProvider(demo_world(), FROZEN_NOW)


async def dict_context(
    store: Path, lacking: Mapping[Capability, str] | None = None
) -> ServiceContext:
    """A service on a copy of the demo store, with the dict provider behind it; `lacking`
    takes more capabilities away, each with the reason the provider gives."""

    def factory(env: ProviderEnv) -> DictProvider:
        return DictProvider(demo_world(), FROZEN_NOW, lacking)

    return await open_context(
        fast_settings(sqlite_url(store)), clock=Clock(FROZEN_NOW), provider=factory
    )
