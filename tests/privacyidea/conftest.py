"""A live privacyIDEA for the tests in this folder, brought up once per session.

Fixtures:
- `pi_peer`: the running peer (`url`, `sms` capture, `world`, admins, `timings`).
- `pi_world`: who is in it: realms, each user's `Phone` (seed, clock offset,
  `next_code()`, `resync_codes()`, `wrong_code()`), SMS serials, the sensitive user,
  the service account and the user without a token.
- `pi_sms`: the SMS capture gateway (`wait_for(match, after=...)`, `failing`).
- `pi_settings`: `PrivacyIdeaSettings` for the desk's service admin.
- `pi`: a `PrivacyIdeaClient` signed in lazily as that admin (per test).
- `enroll_totp`: a fresh TOTP token with a known seed, deleted after the test.

Without SUPPORTDESK_REQUIRE_PI=1 the tests skip when privacyIDEA cannot be installed
or started here; with it (CI), that is a failure.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from supportdesk.service.provider.privacyidea import PrivacyIdeaClient, PrivacyIdeaSettings
from tests.privacyidea import seed
from tests.privacyidea.desk import PiDesk, desk_pi_settings, open_desk
from tests.privacyidea.peer import Peer, PeerUnavailable, bring_up, required
from tests.privacyidea.people import Phone, new_seed
from tests.privacyidea.seed import AdminSession, SeedError, World
from tests.privacyidea.sms_capture import SmsCapture

HERE = Path(__file__).parent
_report: dict[str, str | float] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "privacyidea: runs against a live privacyIDEA peer")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.privacyidea)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if "privacyidea/" in nodeid and "first" in _report:
        _report["last"] = time.monotonic()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if "bring_up" in _report:
        terminalreporter.write_line(str(_report["bring_up"]))
    if "first" in _report and "last" in _report:
        seconds = float(_report["last"]) - float(_report["first"])
        terminalreporter.write_line(f"privacyIDEA live suite: {seconds:.1f} s, bring-up included")


@pytest.fixture(scope="session")
def pi_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    _report["first"] = time.monotonic()
    try:
        peer = bring_up(tmp_path_factory.mktemp("privacyidea"))
    except (PeerUnavailable, SeedError) as exc:
        _report["bring_up"] = f"privacyIDEA peer unavailable: {exc}"
        if required():
            pytest.fail(f"SUPPORTDESK_REQUIRE_PI=1 but privacyIDEA did not come up: {exc}")
        pytest.skip(f"privacyIDEA peer unavailable here: {exc}")
    _report["bring_up"] = peer.describe_timings()
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture(scope="session")
def pi_world(pi_peer: Peer) -> World:
    return pi_peer.world


@pytest.fixture(scope="session")
def pi_sms(pi_peer: Peer) -> SmsCapture:
    return pi_peer.sms


@pytest.fixture(scope="session")
def pi_settings(pi_peer: Peer) -> PrivacyIdeaSettings:
    world = pi_peer.world
    return PrivacyIdeaSettings(
        url=pi_peer.url,
        user_realms=[world.customer_realm],
        staff_realm=world.staff_realm,
        staff_leads=["lee.harmon"],
        admin_username=pi_peer.desk_admin.username,
        admin_password=pi_peer.desk_admin.password,
        timeout_s=30.0,
    )


@pytest.fixture
async def pi(pi_settings: PrivacyIdeaSettings) -> AsyncIterator[PrivacyIdeaClient]:
    async with PrivacyIdeaClient(pi_settings) as client:
        yield client


@pytest.fixture(scope="session")
def pi_bootstrap(pi_peer: Peer) -> Iterator[AdminSession]:
    """privacyIDEA's own superadmin, for arranging what a test needs (not the desk's account)."""
    session = AdminSession(
        pi_peer.url, pi_peer.bootstrap_admin.username, pi_peer.bootstrap_admin.password
    )
    yield session
    session.close()


@pytest.fixture
def enroll_totp(pi_bootstrap: AdminSession, pi_world: World) -> Iterator[Callable[[str], Phone]]:
    """`enroll_totp(username)` -> a new TOTP token of theirs; everything left is deleted."""
    made: list[str] = []

    def enroll(username: str) -> Phone:
        serial = f"TEST{len(made) + 1:02d}-{new_seed()[:8].upper()}"
        made.append(serial)
        realm = pi_world.customer_realm
        return seed.enroll_totp(pi_bootstrap, serial, username, realm, "enrolled by a test")

    yield enroll
    for serial in made:
        for candidate in (serial, f"lost{serial}"):
            with contextlib.suppress(SeedError):  # the test deleted it already
                pi_bootstrap.call("DELETE", f"/token/{candidate}")


@pytest.fixture
async def pi_desk(
    pi_settings: PrivacyIdeaSettings, pi_world: World, tmp_path: Path
) -> AsyncIterator[PiDesk]:
    """The desk's service (a fresh store of ours) in front of the live privacyIDEA."""
    settings = desk_pi_settings(pi_settings, pi_world.sensitive_user, pi_world.service_account)
    desk = await open_desk(tmp_path / "desk.sqlite3", settings)
    try:
        yield desk
    finally:
        await desk.close()
