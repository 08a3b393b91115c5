"""The refusals operations raise; `service/http/errors.py` answers each with one shape,
{"error": {"code", "message", "field"}}. Plain exceptions: no web framework here."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal the client can act on; carries its HTTP status and a clear message."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = headers or {}


class Unauthorised(ServiceError):
    status = 401
    code = "unauthorised"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class InvalidInput(ServiceError):
    status = 422
    code = "invalid_input"


class NotSupported(Conflict):
    """The identity provider behind the desk cannot do this (the message says why)."""

    code = "not_supported"


class CodeAlreadyUsed(Unauthorised):
    """The password and code are right, but the code was used already: wait for the next."""

    code = "code_already_used"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_s))})
        self.retry_after_s = max(1, retry_after_s)
