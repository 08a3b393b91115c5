"""The privacyIDEA client's settings and failures that need no privacyIDEA at all."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import certifi
import pytest
from pydantic import ValidationError

from supportdesk.service.http.app import build_app
from supportdesk.service.provider.privacyidea import (
    PiUnreachable,
    PrivacyIdeaClient,
    PrivacyIdeaSettings,
)
from supportdesk.service.provider.privacyidea.errors import (
    PiAuthFailed,
    PiBadRequest,
    PiNotFound,
    PiPolicyDenied,
    error_for,
    session_expired,
)
from supportdesk.service.settings import ServiceSettings
from supportdesk.service.store.engine import sqlite_url


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTDESK_PI_URL", "https://pi.example.com/")
    monkeypatch.setenv("SUPPORTDESK_PI_USER_REALMS", "carriers, brokers")
    monkeypatch.setenv("SUPPORTDESK_PI_STAFF_LEADS", "lee.harmon")
    monkeypatch.setenv("SUPPORTDESK_PI_ADMIN_USERNAME", "supportdesk-svc")
    monkeypatch.setenv("SUPPORTDESK_PI_ADMIN_PASSWORD", "s3cret-pass")
    monkeypatch.setenv("SUPPORTDESK_PI_VENV", "/somewhere")  # the test fixture's, not ours

    settings = PrivacyIdeaSettings()

    assert settings.url == "https://pi.example.com"
    assert settings.user_realms == ["carriers", "brokers"] and settings.default_realm == "carriers"
    assert settings.staff_leads == ["lee.harmon"]
    assert settings.admin_secret().get_secret_value() == "s3cret-pass"
    assert "s3cret-pass" not in repr(settings) + settings.model_dump_json()


def test_password_file_is_read_without_its_newline(tmp_path: Path) -> None:
    secret = tmp_path / "pi-admin-password"
    secret.write_text("from-a-mounted-secret\n")
    settings = PrivacyIdeaSettings(url="https://pi", admin_password_file=secret)
    assert settings.admin_secret().get_secret_value() == "from-a-mounted-secret"


def test_one_password_source_only(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not both"):
        PrivacyIdeaSettings(admin_password="a", admin_password_file=tmp_path / "b")
    with pytest.raises(ValueError, match="no admin password"):
        PrivacyIdeaSettings(url="https://pi").admin_secret()


def test_tls_is_verified_unless_turned_off() -> None:
    assert PrivacyIdeaSettings().tls_verify() is True
    assert PrivacyIdeaSettings(verify_tls=False).tls_verify() is False
    context = PrivacyIdeaSettings(ca_file=Path(certifi.where())).tls_verify()
    assert isinstance(context, ssl.SSLContext) and context.verify_mode == ssl.CERT_REQUIRED


def test_privacyidea_error_codes_become_exception_types() -> None:
    assert isinstance(error_for(303, "not allowed", 403), PiPolicyDenied)
    assert isinstance(error_for(4031, "Authentication failed.", 401), PiAuthFailed)
    assert isinstance(error_for(601, "No token found", 404), PiNotFound)
    assert isinstance(error_for(904, "User does not exist", 400), PiNotFound)
    refused = error_for(905, "ERR905: Missing parameter", 400)
    assert isinstance(refused, PiBadRequest) and "905" in str(refused)
    assert session_expired(4305, 401) and session_expired(4304, 401)
    assert not session_expired(4031, 401)


async def test_a_server_that_is_not_there_is_unreachable() -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = PrivacyIdeaSettings(
        url=f"http://127.0.0.1:{port}", admin_username="a", admin_password="b", timeout_s=2
    )
    async with PrivacyIdeaClient(settings) as client:
        with pytest.raises(PiUnreachable):
            await client.find_users("carriers")
        assert not await client.healthy()


def test_no_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPPORTDESK_PI_URL", raising=False)
    with pytest.raises(ValueError, match="SUPPORTDESK_PI_URL"):
        PrivacyIdeaClient(PrivacyIdeaSettings())


async def test_the_service_closes_privacyideas_client_when_it_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` opens its own context in the app's lifespan; stopping lets go of the
    provider's HTTP connections, not only of the store's."""
    monkeypatch.setenv("SUPPORTDESK_PI_URL", "http://127.0.0.1:9")
    settings = ServiceSettings(db_url=sqlite_url(tmp_path / "desk.sqlite3"), provider="privacyidea")
    app = build_app(settings=settings)
    async with app.router.lifespan_context(app):
        http = app.state.ctx.provider.pi.session.http
        assert not http.is_closed
    assert http.is_closed
