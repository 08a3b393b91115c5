"""Fixtures for the channel tests: the real mail servers, started once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.channels.mailserver import MailWorld, mail_world, missing_parts

REQUIRE_MAIL = os.environ.get("SUPPORTDESK_REQUIRE_MAIL") == "1"


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[MailWorld]:
    """Dovecot (IMAP + LMTP) and an SMTP relay into it, on loopback ports.

    Skips with the reason when Dovecot or aiosmtpd is not installed, unless CI set
    SUPPORTDESK_REQUIRE_MAIL=1, where a missing server is a failure.
    """
    reason = missing_parts()
    if reason is not None:
        if REQUIRE_MAIL:
            pytest.fail(f"SUPPORTDESK_REQUIRE_MAIL=1 but {reason}")
        pytest.skip(reason)
    yield from mail_world()


@pytest.fixture(scope="session")
def triage_model() -> None:
    """The classifier loaded once before the timed waits, as a running service has it
    (`start_mailbox` loads it at start): a first training is not an e-mail's latency."""
    from supportdesk.triage import preload

    preload()
