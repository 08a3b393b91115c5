"""What the desk reads from privacyIDEA, typed, and nothing it must not hold.

Only the fields the desk needs are kept. Seeds (`otpkey`), PINs and the token's
other secrets are never read. Phone numbers are kept as `SecretStr` beside a
masked copy: the provider may run our country and line checks on the number,
but a repr, a log line or a JSON dump shows only the mask. The temporary access
code of a lost token is a `SecretStr` too, to be shown once and dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from supportdesk.rules.phone import mask_e164

Outcome = Literal["ACCEPT", "REJECT", "CHALLENGE"]

# privacyIDEA writes token-info dates in these shapes (lib/tokenclass.py DATE_FORMAT,
# AUTH_DATE_FORMAT); ISO 8601 for creation and assignment dates.
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S%z")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class PiPhone(_Model):
    """A number on file: `masked` for display, `number` only for our rules."""

    masked: str
    number: SecretStr

    @classmethod
    def of(cls, raw: object) -> PiPhone | None:
        text = str(raw or "").strip()
        if not text:
            return None
        return cls(masked=mask_e164(text), number=SecretStr(text))

    def __str__(self) -> str:
        return self.masked


class PiUser(_Model):
    """A user as the realm's resolver describes them."""

    username: str
    realm: str
    resolver: str
    userid: str
    givenname: str = ""
    surname: str = ""
    email: str = ""
    mobile: PiPhone | None = None
    phone: PiPhone | None = None
    editable: bool = False

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.givenname, self.surname) if part) or self.username

    @classmethod
    def from_api(cls, row: dict[str, Any], realm: str) -> PiUser:
        return cls(
            username=str(row.get("username", "")),
            realm=str(row.get("realm") or realm),
            resolver=str(row.get("resolver", "")),
            userid=str(row.get("userid", row.get("id", ""))),
            givenname=str(row.get("givenname") or ""),
            surname=str(row.get("surname") or ""),
            email=str(row.get("email") or ""),
            mobile=PiPhone.of(_first(row.get("mobile"))),
            phone=PiPhone.of(_first(row.get("phone"))),
            editable=bool(row.get("editable", False)),
        )


class PiToken(_Model):
    """One token of a user: its state, its fail counter and what the desk shows of it."""

    serial: str
    tokentype: str
    description: str = ""
    active: bool
    revoked: bool
    locked: bool  # privacyIDEA's own lock (revoked tokens); NOT the fail-counter lock
    failcount: int
    maxfail: int
    rollout_state: str = ""
    username: str = ""
    user_realm: str = ""
    time_shift_s: float | None = None
    last_auth: datetime | None = None
    count_auth: int = 0
    count_auth_success: int = 0
    failcounter_exceeded_at: datetime | None = None
    valid_until: datetime | None = None
    lost_token_for: str | None = None
    phone: PiPhone | None = None

    @property
    def fail_locked(self) -> bool:
        """Refuses even correct codes until an admin resets the fail counter."""
        return self.maxfail > 0 and self.failcount >= self.maxfail

    @classmethod
    def from_api(cls, row: dict[str, Any]) -> PiToken:
        info: dict[str, Any] = row.get("info") or {}
        shift = info.get("timeShift")
        return cls(
            serial=str(row["serial"]),
            tokentype=str(row.get("tokentype", "")),
            description=str(row.get("description") or ""),
            active=bool(row.get("active")),
            revoked=bool(row.get("revoked")),
            locked=bool(row.get("locked")),
            failcount=int(row.get("failcount") or 0),
            maxfail=int(row.get("maxfail") or 0),
            rollout_state=str(row.get("rollout_state") or ""),
            username=str(row.get("username") or ""),
            user_realm=str(row.get("user_realm") or ""),
            time_shift_s=float(shift) if shift not in (None, "") else None,
            last_auth=parse_pi_date(info.get("last_auth")),
            count_auth=int(info.get("count_auth") or 0),
            count_auth_success=int(info.get("count_auth_success") or 0),
            failcounter_exceeded_at=parse_pi_date(info.get("failcounter_exceeded")),
            valid_until=parse_pi_date(info.get("validity_period_end")),
            lost_token_for=info.get("lost_token_for") or None,
            phone=PiPhone.of(info.get("phone")),
        )


class PiTokenPage(_Model):
    tokens: tuple[PiToken, ...]
    count: int


class PiCheck(_Model):
    """The answer of /validate/check: a REJECT is an answer, not an error."""

    outcome: Outcome
    message: str = ""
    serial: str | None = None
    tokentype: str | None = None
    transaction_id: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome == "ACCEPT"


class PiChallenge(_Model):
    """What /validate/triggerchallenge started; `gateway_error` when an SMS did not go out."""

    count: int
    transaction_id: str | None
    serials: tuple[str, ...]
    messages: tuple[str, ...]
    valid_until: datetime | None = None
    gateway_error: str | None = None


class PiLostToken(_Model):
    """A temporary replacement for a lost token: show `password` once, then drop it."""

    serial: str
    lost_serial: str
    password: SecretStr
    valid_until: datetime
    lost_token_disabled: bool


class PiAuditEntry(_Model):
    """One row of privacyIDEA's audit; `signature_ok` is privacyIDEA's own check of it."""

    number: int
    date: datetime
    action: str
    success: bool
    authentication: str = ""
    serial: str = ""
    token_type: str = ""
    user: str = ""
    realm: str = ""
    resolver: str = ""
    administrator: str = ""
    action_detail: str = ""
    info: str = ""
    client: str = ""
    user_agent: str = ""
    user_agent_version: str = ""
    policies: str = ""
    duration_s: float | None = None
    signature_ok: bool
    no_missing_line: bool

    @classmethod
    def from_api(cls, row: dict[str, Any]) -> PiAuditEntry:
        return cls(
            number=int(row["number"]),
            date=_naive_server_time(str(row["date"])),
            action=str(row.get("action") or ""),
            success=bool(int(row.get("success") or 0)),
            duration_s=row.get("duration"),
            signature_ok=row.get("sig_check") == "OK",
            no_missing_line=row.get("missing_line") == "OK",
            **{k: str(row.get(k) or "") for k in _AUDIT_TEXT},
        )


_AUDIT_TEXT = (
    "authentication",
    "serial",
    "token_type",
    "user",
    "realm",
    "resolver",
    "administrator",
    "action_detail",
    "info",
    "client",
    "user_agent",
    "user_agent_version",
    "policies",
)


class PiAuditPage(_Model):
    entries: tuple[PiAuditEntry, ...]
    count: int
    page: int
    next_page: int | None
    prev_page: int | None


def parse_pi_date(value: object) -> datetime | None:
    """A token-info date, timezone-aware; None when absent or not a date."""
    text = str(value or "").strip()
    if not text:
        return None
    for shape in _DATE_FORMATS:
        try:
            return datetime.strptime(text, shape)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _naive_server_time(text: str) -> datetime:
    """Audit dates are the server's local time without a zone; read them as UTC.

    privacyIDEA writes `datetime.now()` (models/audit.py): run it with TZ=UTC, as the
    test peer does, or these times are off by the server's offset.
    """
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _first(value: object) -> object:
    """Resolvers may give a list of numbers; the desk uses the first."""
    if isinstance(value, list):
        return value[0] if value else None
    return value
