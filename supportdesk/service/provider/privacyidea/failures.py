"""privacyIDEA's refusals as the desk's errors, so an operation fails cleanly (no 500).

An operation calls the provider inside its transaction; an exception raised here rolls
that transaction back, so a change privacyIDEA did not make leaves no entry claiming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from supportdesk.service.errors import Conflict, Forbidden, NotFound, ServiceError
from supportdesk.service.provider.privacyidea.errors import (
    PiAuthFailed,
    PiBadRequest,
    PiNotFound,
    PiPolicyDenied,
    PiRefused,
    PiUnreachable,
    PrivacyIdeaError,
)


class ProviderUnavailable(ServiceError):
    """privacyIDEA did not answer (or not as privacyIDEA): try again later."""

    status = 503
    code = "provider_unavailable"


class ProviderFailed(ServiceError):
    """privacyIDEA answered with an error the desk cannot put right itself."""

    status = 502
    code = "provider_error"


def desk_error(exc: PrivacyIdeaError, doing: str) -> ServiceError:
    """The desk's error for privacyIDEA's answer to `doing` ("delete token X")."""
    said = f"privacyIDEA refused to {doing}: {exc}"
    if isinstance(exc, PiUnreachable):
        return ProviderUnavailable(f"privacyIDEA is unreachable ({doing}): {exc.message}")
    if isinstance(exc, PiAuthFailed):
        return ProviderFailed(
            "the desk's service account could not sign in to privacyIDEA; "
            "ask an administrator to check its credentials"
        )
    if isinstance(exc, PiPolicyDenied):
        error: ServiceError = Forbidden(
            f"{said}. privacyIDEA's admin policy does not grant the desk's service account this"
        )
        error.code = "provider_policy"
        return error
    if isinstance(exc, PiNotFound):
        return NotFound(said)
    if isinstance(exc, PiRefused | PiBadRequest):
        refused = Conflict(said)
        refused.code = "provider_refused"
        return refused
    return ProviderFailed(said)


@contextmanager
def calling(doing: str) -> Iterator[None]:
    """Turn any privacyIDEA failure inside into the desk's error for `doing`."""
    try:
        yield
    except PrivacyIdeaError as exc:
        raise desk_error(exc, doing) from exc
