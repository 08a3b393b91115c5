"""An async client for the parts of privacyIDEA's REST API a support desk uses.

Each method is one privacyIDEA call with typed answers (`models`). Every answer that
is not a success is an exception from `errors` - including privacyIDEA's HTTP 200
refusals (`result.value` false), which become `PiRefused`; a `/validate/check`
REJECT is an answer (`PiCheck.outcome`), not an error.
"""

from __future__ import annotations

from types import TracebackType
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from supportdesk.service.provider.privacyidea.errors import (
    PiNotFound,
    PiRefused,
    PrivacyIdeaError,
)
from supportdesk.service.provider.privacyidea.models import (
    PiAuditEntry,
    PiAuditPage,
    PiChallenge,
    PiCheck,
    PiLostToken,
    PiToken,
    PiTokenPage,
    PiUser,
    parse_pi_date,
)
from supportdesk.service.provider.privacyidea.session import Body, PiSession
from supportdesk.service.provider.privacyidea.settings import PrivacyIdeaSettings

# What an SMS token answers when its gateway failed (lib/tokens/smstoken.py).
SMS_NOT_SENT = "the sms could not be sent"


class PrivacyIdeaClient:
    """Use as `async with PrivacyIdeaClient(settings) as pi: await pi.user_tokens(...)`."""

    def __init__(
        self, settings: PrivacyIdeaSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.session = PiSession(settings, transport=transport)
        self._call = self.session.call

    async def __aenter__(self) -> PrivacyIdeaClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.session.aclose()

    async def sign_in(self) -> None:
        """Sign the service admin in now (otherwise the first call does)."""
        await self.session.sign_in()

    # --- users -----------------------------------------------------------------------

    async def find_users(
        self,
        realm: str | None = None,
        *,
        username: str | None = None,
        email: str | None = None,
        givenname: str | None = None,
        surname: str | None = None,
    ) -> list[PiUser]:
        """Users of a realm; each filter may use `*` wildcards (`*ray*`)."""
        realm = self._realm(realm)
        params = {
            "realm": realm,
            "username": username,
            "email": email,
            "givenname": givenname,
            "surname": surname,
        }
        body = await self._call("GET", "/user/", params=params)
        return [PiUser.from_api(row, realm) for row in body["result"].get("value") or []]

    async def user(self, username: str, realm: str | None = None) -> PiUser:
        """Exactly this user (no wildcards); PiNotFound if the realm has no such user."""
        if "*" in username:
            raise ValueError("user() takes an exact username; use find_users() to search")
        found = [
            u for u in await self.find_users(realm, username=username) if u.username == username
        ]
        if not found:
            raise PiNotFound(f"no user {username!r} in realm {self._realm(realm)!r}")
        return found[0]

    # --- tokens ----------------------------------------------------------------------

    async def tokens(
        self,
        *,
        user: str | None = None,
        realm: str | None = None,
        serial: str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> PiTokenPage:
        params = {
            "user": user,
            "realm": self._realm(realm) if user else realm,
            "serial": serial,
            "page": page,
            "pagesize": page_size,
        }
        value = (await self._call("GET", "/token/", params=params))["result"]["value"]
        tokens = tuple(PiToken.from_api(row) for row in value.get("tokens") or [])
        return PiTokenPage(tokens=tokens, count=int(value.get("count") or len(tokens)))

    async def user_tokens(self, username: str, realm: str | None = None) -> list[PiToken]:
        """All of a user's tokens (every page)."""
        found: list[PiToken] = []
        page = 1
        while True:
            batch = await self.tokens(user=username, realm=realm, page=page, page_size=100)
            found.extend(batch.tokens)
            if not batch.tokens or len(found) >= batch.count:
                return found
            page += 1

    async def token(self, serial: str) -> PiToken:
        page = await self.tokens(serial=serial)
        for token in page.tokens:
            if token.serial == serial:
                return token
        raise PiNotFound(f"no token {serial!r}", code=None, status=200)

    async def disable(self, serial: str) -> int:
        """Tokens disabled (0 when it already was)."""
        return await self._count("POST", "/token/disable", {"serial": serial})

    async def enable(self, serial: str) -> int:
        return await self._count("POST", "/token/enable", {"serial": serial})

    async def delete(self, serial: str) -> int:
        return await self._count("DELETE", f"/token/{quote(serial, safe='')}", None)

    async def unassign(self, serial: str) -> int:
        """Take the token from its user without deleting it."""
        return await self._count("POST", "/token/unassign", {"serial": serial})

    async def reset_failcount(self, serial: str) -> int:
        """`/token/reset`: the fail counter back to 0, so correct codes pass again."""
        return await self._count("POST", "/token/reset", {"serial": serial})

    async def resync(self, serial: str, otp1: str, otp2: str) -> None:
        """Two consecutive codes; PiRefused when they do not match (privacyIDEA says 200)."""
        body = await self._call(
            "POST", "/token/resync", json={"serial": serial, "otp1": otp1, "otp2": otp2}
        )
        if body["result"].get("value") is not True:
            raise PiRefused("resync was not successful: the two codes were not consecutive")

    async def lost_token(
        self, serial: str, *, user: str | None = None, realm: str | None = None
    ) -> PiLostToken:
        """Disable the lost token and issue a temporary password token for its user.

        Its validity (days) and length come from privacyIDEA's enrolment policies
        `losttoken_valid` / `losttoken_PW_length`; the original token's PIN is kept.
        """
        data = {"user": user, "realm": self._realm(realm) if user else None}
        body = await self._call("POST", f"/token/lost/{quote(serial, safe='')}", json=data)
        value: Body = body["result"].get("value") or {}
        if not value.get("init") or not value.get("password"):
            raise PiRefused(f"privacyIDEA did not issue a replacement for {serial}")
        valid_until = parse_pi_date(value.get("end_date"))
        if valid_until is None:
            raise PrivacyIdeaError(f"replacement for {serial} came without a validity end")
        return PiLostToken(
            serial=str(value["serial"]),
            lost_serial=serial,
            password=SecretStr(str(value["password"])),
            valid_until=valid_until,
            lost_token_disabled=bool(value.get("disable")),
        )

    # --- checks ----------------------------------------------------------------------

    async def trigger_challenge(
        self, user: str, realm: str | None = None, *, serial: str | None = None
    ) -> PiChallenge:
        """Send the user's challenge (an SMS code); name the serial, or every
        challenge-capable token (TOTP included) gets a challenge."""
        data = {"user": user, "realm": self._realm(realm), "serial": serial}
        body = await self._call("POST", "/validate/triggerchallenge", json=data)
        detail: Body = body.get("detail") or {}
        challenges: list[Body] = detail.get("multi_challenge") or []
        messages = tuple(str(m) for m in detail.get("messages") or [])
        failed = next((m for m in messages if SMS_NOT_SENT in m.lower()), None)
        valid_until = None
        for challenge in challenges:
            until = (challenge.get("attributes") or {}).get("valid_until")
            if until:
                valid_until = parse_pi_date(until)
        return PiChallenge(
            count=int(body["result"].get("value") or 0),
            transaction_id=detail.get("transaction_id"),
            serials=tuple(str(c.get("serial")) for c in challenges),
            messages=messages,
            valid_until=valid_until,
            gateway_error=failed,
        )

    async def validate_check(
        self,
        password: str,
        *,
        user: str | None = None,
        realm: str | None = None,
        serial: str | None = None,
        transaction_id: str | None = None,
    ) -> PiCheck:
        """A sign-in check as an end user or agent makes it: REJECT is an answer, not an error."""
        if (user is None) == (serial is None):
            raise ValueError("validate_check needs a user or a serial")
        data = {
            "user": user,
            "realm": self._realm(realm) if user else None,
            "serial": serial,
            "pass": password,
            "transaction_id": transaction_id,
        }
        body = await self._call("POST", "/validate/check", json=data, admin=False)
        result: Body = body["result"]
        detail: Body = body.get("detail") or {}
        outcome = result.get("authentication")
        if outcome not in ("ACCEPT", "REJECT", "CHALLENGE"):
            outcome = "ACCEPT" if result.get("value") is True else "REJECT"
        return PiCheck(
            outcome=outcome,
            message=str(detail.get("message") or ""),
            serial=detail.get("serial"),
            tokentype=detail.get("type"),
            transaction_id=detail.get("transaction_id"),
        )

    # --- audit -----------------------------------------------------------------------

    async def audit(
        self,
        *,
        page: int = 1,
        page_size: int = 50,
        newest_first: bool = True,
        user: str | None = None,
        realm: str | None = None,
        serial: str | None = None,
        action: str | None = None,
        success: bool | None = None,
        administrator: str | None = None,
        client: str | None = None,
        timelimit: str | None = None,
    ) -> PiAuditPage:
        """A page of privacyIDEA's audit, filtered by column; `*` wildcards allowed
        (`action="*validate/check*"`), `timelimit` like "2d" or "90m"."""
        params: Body = {
            "page": page,
            "page_size": page_size,
            "sortorder": "desc" if newest_first else "asc",
            "user": user,
            "realm": realm,
            "serial": serial,
            "action": action,
            "success": None if success is None else int(success),
            "administrator": administrator,
            "client": client,
            "timelimit": timelimit,
        }
        value: Body = (await self._call("GET", "/audit/", params=params))["result"]["value"]
        return PiAuditPage(
            entries=tuple(PiAuditEntry.from_api(row) for row in value.get("auditdata") or []),
            count=int(value.get("count") or 0),
            page=int(value.get("current") or page),
            next_page=value.get("next"),
            prev_page=value.get("prev"),
        )

    async def latest_audit_row(
        self, action: str, *, serial: str | None = None, user: str | None = None
    ) -> PiAuditEntry | None:
        """The newest row of one action (e.g. "POST /token/disable") for a serial or user.

        privacyIDEA's answers carry no audit id; read this right after the call to name
        privacyIDEA's row in our own audit entry.
        """
        page = await self.audit(page_size=1, action=action, serial=serial, user=user)
        return page.entries[0] if page.entries else None

    async def healthy(self) -> bool:
        try:
            return (await self.session.http.get("/healthz/")).status_code == 200
        except httpx.HTTPError:
            return False

    # --- plumbing --------------------------------------------------------------------

    def _realm(self, realm: str | None) -> str:
        chosen = realm or self.settings.default_realm
        if not chosen:
            raise ValueError("no realm given and no SUPPORTDESK_PI_USER_REALMS configured")
        return chosen

    async def _count(self, method: str, path: str, data: Body | None) -> int:
        body = await self._call(method, path, json=data)
        value = body["result"].get("value")
        return int(value) if isinstance(value, int | bool) else 0
