"""One exception class per way a call can fail, each with a message fit for an agent."""

from __future__ import annotations


class ApiError(Exception):
    """Base: every failure of the client is one of these, never a raw httpx error."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class Unauthorised(ApiError):
    """No session, a wrong credential, or an expired session: sign in again."""


class Forbidden(ApiError):
    """Signed in, but the role does not allow this."""


class NotFound(ApiError):
    """No such user, ticket or record."""


class Conflict(ApiError):
    """The state changed underneath (already resolved, already decided)."""


class InvalidInput(ApiError):
    """The service refused what was typed; `field` names the culprit."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 422) -> None:
        super().__init__(message, status=status, code="invalid_input")
        self.field = field


class RateLimited(ApiError):
    """Too many attempts; `retry_after_s` says how long to wait."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, status=429, code="rate_limited")
        self.retry_after_s = retry_after_s


class ServiceUnavailable(ApiError):
    """The auth service could not be reached, timed out, or failed."""


class StoreUnavailable(ServiceUnavailable):
    """The service answers, but its database does not (503): wait `retry_after_s`, retry.

    A ServiceUnavailable too, so code that only knows "could not be done now" still copes;
    the desk tells the two apart (a banner and paused actions, not the retry screen).
    """

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(message, status=503, code=code or "store_unavailable")
        self.retry_after_s = retry_after_s
