"""Transport security shared by the mail adapters: the TLS context and the loopback rule.

A connection without TLS is refused unless the server is on this machine or the deployment
says plainly that it accepts it: credentials and tickets never cross a network in clear text
by accident.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from typing import Literal

Security = Literal["tls", "starttls", "plain"]
"""``tls``: TLS from the first byte; ``starttls``: upgrade required before login;
``plain``: no TLS (loopback, or with ``allow_plain``)."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ::1."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def client_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """A verifying client context (system CAs, or ``ca_file`` for a private CA)."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
