"""privacyIDEA's answers that are not a success, as exceptions a caller can tell apart.

privacyIDEA says "no" in two ways: an error (`result.status` false, `result.error`
with a numeric code, HTTP 4xx/5xx) and a refusal (HTTP 200, `result.value` false,
e.g. a resync whose codes did not match). Both become exceptions here, the first
keyed by privacyIDEA's error code, so no caller mistakes a 200 for a success.
"""

from __future__ import annotations

# privacyIDEA's error codes (privacyidea/lib/error.py) that the desk tells apart.
POLICY = 303
AUTH_WRONG_CREDENTIALS = 4031
AUTH_HEADER = 4033
AUTH_DECODING = 4304
AUTH_EXPIRED = 4305
RESOURCE_NOT_FOUND = 601
USER_NOT_FOUND = 904
PARAMETER = 905
TOKEN_ADMIN = 301


class PrivacyIdeaError(Exception):
    """Anything privacyIDEA did not do; `code` is privacyIDEA's own error code if it sent one."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        code = f" (privacyIDEA error {self.code})" if self.code is not None else ""
        return f"{self.message}{code}"


class PiUnreachable(PrivacyIdeaError):
    """No answer: connection refused, TLS failure, timeout, or not privacyIDEA's JSON."""


class PiAuthFailed(PrivacyIdeaError):
    """The service admin's credentials were refused (or its session could not be renewed)."""


class PiPolicyDenied(PrivacyIdeaError):
    """An admin policy does not grant the service account this action in this realm."""


class PiNotFound(PrivacyIdeaError):
    """No such token or user."""


class PiBadRequest(PrivacyIdeaError):
    """privacyIDEA rejected the parameters or the request in its current state."""


class PiRefused(PrivacyIdeaError):
    """HTTP 200, but privacyIDEA said no (`result.value` false): e.g. a resync that failed."""


_BY_CODE: dict[int, type[PrivacyIdeaError]] = {
    POLICY: PiPolicyDenied,
    AUTH_WRONG_CREDENTIALS: PiAuthFailed,
    RESOURCE_NOT_FOUND: PiNotFound,
    USER_NOT_FOUND: PiNotFound,
}


def error_for(code: int | None, message: str, status: int) -> PrivacyIdeaError:
    """The exception for privacyIDEA's `result.error` (or for a bare HTTP failure)."""
    kind = _BY_CODE.get(code) if code is not None else None
    if kind is None:
        if status == 404:
            kind = PiNotFound
        elif status == 403:
            kind = PiPolicyDenied
        elif status == 401:
            kind = PiAuthFailed
        elif 400 <= status < 500:
            kind = PiBadRequest
        else:
            kind = PrivacyIdeaError
    return kind(message, code=code, status=status)


def session_expired(code: int | None, status: int) -> bool:
    """The admin's JWT is no longer accepted: sign in again and retry once."""
    return status == 401 and code in (AUTH_HEADER, AUTH_DECODING, AUTH_EXPIRED)
