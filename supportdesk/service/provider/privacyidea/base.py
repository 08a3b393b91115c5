"""What the privacyIDEA provider's parts share: the client, the settings, and the
bookkeeping of each change (privacyIDEA's audit row for our entry)."""

from __future__ import annotations

import weakref
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.service.provider import receipts
from supportdesk.service.provider.interface import (
    ProviderEnv,
)
from supportdesk.service.provider.privacyidea import directory
from supportdesk.service.provider.privacyidea.api import PrivacyIdeaClient
from supportdesk.service.provider.privacyidea.capabilities import (
    CAPABILITIES,
)
from supportdesk.service.provider.privacyidea.errors import PiNotFound
from supportdesk.service.provider.privacyidea.failures import calling
from supportdesk.service.provider.privacyidea.models import PiToken
from supportdesk.service.provider.privacyidea.settings import PrivacyIdeaSettings
from supportdesk.service.store.engine import reading

SYSTEM = "privacyidea"
CHECK_ACTION = "*validate/check*"
TRIGGER_ACTION = "*validate/triggerchallenge*"
HISTORY_PAGE = 200
NO_CODE_DRIFT = (
    "privacyIDEA keeps the app's seed, so the desk cannot test codes against it: use the "
    "phone's time here, or resync the token with two consecutive codes"
)
AFTER_RESET = (
    "privacyIDEA now has no token for {name}: the next sign-in is refused unless its "
    "policies let them enrol one (enroll_via_multichallenge) or pass without one "
    "(passOnNoToken); otherwise enrol a token for them or issue an access code first."
)


class PiBase:
    """Holds the client and settings; reads tokens and notes what privacyIDEA did."""

    name = "privacyidea"
    capabilities = CAPABILITIES

    def __init__(
        self,
        env: ProviderEnv,
        settings: PrivacyIdeaSettings,
        client: PrivacyIdeaClient | None = None,
    ) -> None:
        self.env = env
        self.settings = settings
        self.pi = client or PrivacyIdeaClient(settings)
        self._created: dict[str, datetime] = {}
        # One operation's token lists, by its connection: an operation reads a user's
        # tokens several times (the user, the factors, the answer's profile). Dropped with
        # the connection, and by every change the provider makes through it.
        self._memo: weakref.WeakKeyDictionary[
            AsyncConnection, dict[tuple[str, str], list[PiToken]]
        ] = weakref.WeakKeyDictionary()

    async def aclose(self) -> None:
        await self.pi.aclose()

    async def _who(self, conn: AsyncConnection | None, user_id: str) -> tuple[str, str]:
        """(username, realm) of one of our ids; UnknownUser when it stands for nobody."""
        if conn is None:
            async with reading(self.env.engine) as own:
                found = await directory.one(own, user_id)
        else:
            found = await directory.one(conn, user_id)
        return found.username, found.realm

    async def _tokens(self, conn: AsyncConnection | None, user_id: str) -> list[PiToken]:
        username, realm = await self._who(conn, user_id)
        with calling(f"list the tokens of {user_id}"):
            try:
                return await self._user_tokens(conn, username, realm)
            except PiNotFound:
                return []

    async def _user_tokens(
        self, conn: AsyncConnection | None, username: str, realm: str
    ) -> list[PiToken]:
        if conn is None:
            return await self.pi.user_tokens(username, realm)
        memo = self._memo.setdefault(conn, {})
        if (username, realm) not in memo:
            memo[username, realm] = await self.pi.user_tokens(username, realm)
        return memo[username, realm]

    def _changed(self, conn: AsyncConnection | None) -> None:
        """privacyIDEA's tokens changed: this operation reads them afresh."""
        if conn is not None:
            self._memo.pop(conn, None)

    async def _created_at(self, serial: str) -> datetime | None:
        """When the token was enrolled, from privacyIDEA's audit (read once per token)."""
        if serial not in self._created:
            try:
                row = await self.pi.latest_audit_row("POST /token/init*", serial=serial)
            except Exception:  # a date is a nicety; the token list must not fail for it
                return None
            if row is None:
                return None
            self._created[serial] = row.date
        return self._created[serial]

    async def _row(
        self, action: str, *, serial: str | None = None, user: str | None = None
    ) -> int | None:
        """privacyIDEA's audit row for what was just done (its answers carry no id)."""
        try:
            row = await self.pi.latest_audit_row(action, serial=serial, user=user)
        except Exception:  # the change is made; a missing cross-reference must not undo it
            return None
        return row.number if row is not None else None

    async def _noted(self, action: str, serial: str) -> None:
        receipts.note(
            system=SYSTEM, serial=serial, audit_row=await self._row(action, serial=serial)
        )
