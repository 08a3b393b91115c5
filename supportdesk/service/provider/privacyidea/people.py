"""Users, their tokens and their sign-ins, read from privacyIDEA."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.rules.risk import SignIn
from supportdesk.service.provider.interface import (
    FactorRecord,
    FoundUser,
    UnknownUser,
    UserRecord,
)
from supportdesk.service.provider.privacyidea import directory
from supportdesk.service.provider.privacyidea.base import (
    CHECK_ACTION,
    HISTORY_PAGE,
    PiBase,
)
from supportdesk.service.provider.privacyidea.directory import desk_id
from supportdesk.service.provider.privacyidea.errors import PiNotFound
from supportdesk.service.provider.privacyidea.failures import calling
from supportdesk.service.provider.privacyidea.mapping import (
    factor_record,
    shown,
    user_record,
)
from supportdesk.service.provider.privacyidea.models import PiAuditEntry, PiUser


class People(PiBase):
    # -- users and factors ------------------------------------------------------------

    async def find_users(self, conn: AsyncConnection, query: str, limit: int) -> list[FoundUser]:
        """Name, e-mail or username (each a wildcard search); digits: the end of a mobile."""
        term = query.strip().replace("*", "")
        digits = "".join(ch for ch in term if ch.isdigit())
        searches: list[dict[str, str]] = []
        if not term:
            searches.append({"username": "*"})
        else:
            if "@" in term and term.rpartition("@")[2] in self.settings.user_realms:
                term = term.rpartition("@")[0]
            like = f"*{term}*"
            searches += [{"username": like}, {"email": like}, {"givenname": like}]
            searches.append({"surname": like})
            if len(digits) >= 3 and digits == term.replace(" ", "").replace("-", ""):
                searches.append({"mobile": f"*{digits}"})
        found: dict[str, PiUser] = {}
        with calling("search its users"):
            for realm in self.settings.user_realms:
                batches = await asyncio.gather(
                    *(self._search(realm, filters) for filters in searches)
                )
                for batch in batches:
                    for user in batch:
                        found.setdefault(desk_id(user.username, user.realm), user)
        chosen = sorted(found.values(), key=lambda u: (u.display_name.lower(), u.username))
        chosen = chosen[:limit]
        with calling("list tokens"):
            token_lists = await asyncio.gather(
                *(self.pi.user_tokens(u.username, u.realm) for u in chosen)
            )
        resets = await directory.known(conn, [desk_id(u.username, u.realm) for u in chosen])
        hits: list[FoundUser] = []
        for user, tokens in zip(chosen, token_lists, strict=True):
            seen = resets.get(desk_id(user.username, user.realm))
            last_reset = seen.last_mfa_reset_at if seen is not None else None
            record = user_record(self.settings, user, tokens, last_reset)
            kinds = tuple(factor_record(t, record.id, None).type for t in tokens if shown(t))
            hits.append(FoundUser(record, kinds))
        await directory.remember(
            self.env.engine,
            [(u.realm, u.username, h.user) for u, h in zip(chosen, hits, strict=True)],
            datetime.now(UTC),
        )
        return hits

    async def _search(self, realm: str, filters: dict[str, str]) -> list[PiUser]:
        if "mobile" in filters:
            # /user/ filters by the resolver's mapped attributes; the mobile may not be one.
            try:
                everyone = await self.pi.find_users(realm, username="*")
            except PiNotFound:
                return []
            tail = filters["mobile"].lstrip("*")
            return [
                u
                for u in everyone
                if u.mobile
                and "".join(c for c in u.mobile.number.get_secret_value() if c.isdigit()).endswith(
                    tail
                )
            ]
        return await self.pi.find_users(realm, **filters)

    async def users(self, conn: AsyncConnection, ids: Collection[str]) -> dict[str, UserRecord]:
        ours = await directory.known(conn, ids)
        found = await asyncio.gather(*(self._user(conn, k) for k in ours.values()))
        return {r.id: r for r in found if r is not None}

    async def _user(self, conn: AsyncConnection, known: directory.Known) -> UserRecord | None:
        username, realm, user_id = known.username, known.realm, known.user_id
        with calling(f"read user {user_id}"):
            try:
                user, tokens = await asyncio.gather(
                    self.pi.user(username, realm), self._user_tokens(conn, username, realm)
                )
            except PiNotFound:
                return None
        return user_record(self.settings, user, tokens, known.last_mfa_reset_at)

    async def factors(self, conn: AsyncConnection, user_id: str) -> list[FactorRecord]:
        try:
            tokens = [t for t in await self._tokens(conn, user_id) if shown(t)]
        except UnknownUser:
            return []
        dates = await asyncio.gather(*(self._created_at(t.serial) for t in tokens))
        records = [factor_record(t, user_id, d) for t, d in zip(tokens, dates, strict=True)]
        return sorted(records, key=lambda f: (f.created_at, f.id))

    async def user_with_factors(
        self, conn: AsyncConnection, user_id: str
    ) -> tuple[UserRecord, list[FactorRecord]] | None:
        # The user read lists their tokens too (kept for this connection): `factors`
        # reads them from there, and adds each token's enrolment date.
        user = (await self.users(conn, [user_id])).get(user_id)
        if user is None:
            return None
        return user, await self.factors(conn, user_id)

    async def factors_by_id(
        self, conn: AsyncConnection, ids: Collection[str]
    ) -> dict[str, FactorRecord]:
        async def one(serial: str) -> FactorRecord | None:
            try:
                token = await self.pi.token(serial)
            except PiNotFound:
                return None
            if not token.username or token.user_realm not in self.settings.user_realms:
                return None
            owner = desk_id(token.username, token.user_realm)
            return factor_record(token, owner, await self._created_at(serial))

        with calling("read tokens"):
            found = await asyncio.gather(*(one(s) for s in sorted(set(ids))))
        return {f.id: f for f in found if f is not None}

    # -- sign-ins (privacyIDEA's /validate/check rows) -----------------------------------

    async def _checks(
        self,
        conn: AsyncConnection,
        user_id: str,
        *,
        since: datetime | None,
        limit: int | None,
    ) -> list[PiAuditEntry]:
        username, realm = await self._who(conn, user_id)
        timelimit = None
        if since is not None:
            minutes = max(1, math.ceil((datetime.now(since.tzinfo) - since).total_seconds() / 60))
            timelimit = f"{minutes}m"
        with calling(f"read the audit of {user_id}"):
            page = await self.pi.audit(
                user=username,
                realm=realm,
                action=CHECK_ACTION,
                page_size=min(limit or HISTORY_PAGE, HISTORY_PAGE),
                timelimit=timelimit,
            )
        rows = [r for r in page.entries if since is None or r.date >= since]
        return rows[:limit] if limit is not None else rows

    async def sign_ins(
        self,
        conn: AsyncConnection,
        user_id: str,
        *,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[SignIn]:
        return [sign_in(r) for r in await self._checks(conn, user_id, since=since, limit=limit)]

    async def sign_ins_of(
        self, conn: AsyncConnection, user_ids: Collection[str], *, until: datetime
    ) -> list[tuple[str, SignIn]]:
        found: list[tuple[str, SignIn]] = []
        for user_id in sorted(user_ids):
            try:
                rows = await self._checks(conn, user_id, since=None, limit=None)
            except UnknownUser:
                continue
            found.extend((user_id, sign_in(r)) for r in rows if r.date < until)
        return found


def sign_in(row: PiAuditEntry) -> SignIn:
    """A /validate/check row as a sign-in: its time, address and user agent are known;
    the place, the address's reputation and a device id are not (the user agent stands
    in), so only the new-device signal can fire behind privacyIDEA."""
    agent = " ".join(p for p in (row.user_agent, row.user_agent_version) if p)
    return SignIn(
        at=row.date,
        device_id=agent or "unknown",
        device_name=agent or "unknown client",
        ip=row.client or "",
        city="",
        country="",
        lat=0.0,
        lon=0.0,
        ip_reputation="unknown",
        mfa_prompted=True,
        mfa_passed=row.success,
    )
