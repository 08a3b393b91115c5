"""The mail settings refuse what would send credentials in clear text or be ambiguous."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from supportdesk.service.channels.mail import MailSettings


def test_defaults_leave_the_channel_off_and_pick_ports_by_security() -> None:
    settings = MailSettings()
    assert not settings.imap_enabled and not settings.smtp_enabled
    assert settings.imap_port_value() == 993
    assert MailSettings(imap_security="starttls").imap_port_value() == 143
    assert settings.smtp_port_value() == 587
    assert MailSettings(smtp_security="tls").smtp_port_value() == 465


def test_the_environment_configures_the_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTDESK_MAIL_IMAP_HOST", "imap.example.com")
    monkeypatch.setenv("SUPPORTDESK_MAIL_SUPPORT_ADDRESS", "help@example.com")
    monkeypatch.setenv("SUPPORTDESK_MAIL_POLL_INTERVAL_S", "15")
    settings = MailSettings()
    assert settings.imap_host == "imap.example.com"
    assert settings.support_domain == "example.com"
    assert settings.poll_interval_s == 15


@pytest.mark.parametrize("host", ["imap.example.com", "10.0.0.5"])
def test_plain_is_refused_off_this_machine(host: str) -> None:
    with pytest.raises(ValidationError, match="not this machine"):
        MailSettings(imap_host=host, imap_security="plain")
    assert MailSettings(imap_host=host, imap_security="plain", allow_plain=True).imap_enabled


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.5.5.5"])
def test_plain_is_allowed_on_loopback(host: str) -> None:
    assert MailSettings(smtp_host=host, smtp_security="plain").smtp_enabled


def test_a_password_file_is_read_and_cannot_be_doubled(tmp_path: Path) -> None:
    secret = tmp_path / "imap-password"
    secret.write_text("s3cret-from-file\n")
    assert MailSettings(imap_password_file=secret).imap_secret() == "s3cret-from-file"
    assert MailSettings(imap_password="inline").imap_secret() == "inline"
    with pytest.raises(ValidationError, match="not both"):
        MailSettings(imap_password="inline", imap_password_file=secret)


def test_the_password_never_shows_in_the_settings_repr() -> None:
    settings = MailSettings(smtp_password="hunter2-hunter2")
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in settings.model_dump_json()


@pytest.mark.parametrize("address", ["not-an-address", "Support <help@example.com>"])
def test_the_support_address_must_be_a_plain_address(address: str) -> None:
    with pytest.raises(ValidationError, match="support_address"):
        MailSettings(support_address=address)
