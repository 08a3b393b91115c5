"""HMAC-SHA256 webhook signatures over ``"<timestamp>.<raw body>"``, checked in constant time.

The timestamp is inside what is signed, so a captured delivery cannot be replayed with a
fresh timestamp; one older (or newer) than the tolerance is refused. Several secrets may be
valid at once while one is being rotated. Our own shape and Chatwoot sign the same way and
differ only in header names and the prefix before the hex digest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from supportdesk.service.channels.messenger.models import BadSignature, StaleEvent


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (works for plain dicts and Starlette's)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def check_signature(
    body: bytes,
    *,
    timestamp: str | None,
    signed: str | None,
    prefix: str,
    secrets: Sequence[str],
    now: datetime,
    tolerance_s: int,
) -> int:
    """The delivery's timestamp when ``signed`` is ``prefix`` + a valid signature and the
    timestamp is within ``tolerance_s`` of ``now``; ``BadSignature`` / ``StaleEvent`` else.

    The signature is checked first: an unsigned request learns nothing about the clock.
    """
    usable = [s for s in secrets if s]
    if not usable:
        raise BadSignature("no webhook secret is configured, so no delivery can be trusted")
    if not timestamp or not signed:
        raise BadSignature("the delivery is not signed (signature or timestamp header missing)")
    stamp = timestamp.strip()
    if not stamp.isdigit() or len(stamp) > 12:
        raise BadSignature("the signature timestamp is not a number of seconds")
    seconds = int(stamp)
    given = signed.strip()
    given = given[len(prefix) :] if given.startswith(prefix) else ""
    valid = False
    for secret in usable:
        expected = signature(secret, seconds, body)
        valid |= hmac.compare_digest(expected.encode("ascii"), given.encode("ascii", "replace"))
    if not valid:
        raise BadSignature("the signature does not match the body")
    age = now.timestamp() - seconds
    if abs(age) > tolerance_s:
        raise StaleEvent(
            f"the delivery was signed {int(abs(age))} s {'ago' if age > 0 else 'ahead'}; "
            f"at most {tolerance_s} s is accepted"
        )
    return seconds
