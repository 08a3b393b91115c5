"""The whole live privacyIDEA peer in one call, for the test fixture and the bench.

`bring_up(root)` installs (or reuses) the venv, configures and starts privacyIDEA,
starts the SMS capture gateway and seeds the world; `Peer.stop()` ends what it
started. Importable from tests and from bench/ (which puts the repository on
sys.path); it imports nothing of the service.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.privacyidea.seed import World, seed
from tests.privacyidea.server import Admin, PiServer
from tests.privacyidea.sms_capture import SmsCapture
from tests.privacyidea.venv import PeerUnavailable, ensure_venv

__all__ = ["Peer", "PeerUnavailable", "bring_up", "install_allowed", "required"]

BOOTSTRAP_ADMIN = "pi-bootstrap"
DESK_ADMIN = "supportdesk-svc"


def required() -> bool:
    """CI sets SUPPORTDESK_REQUIRE_PI=1: a peer that does not come up fails the run."""
    return os.environ.get("SUPPORTDESK_REQUIRE_PI", "") not in ("", "0")


def install_allowed() -> bool:
    return required() or os.environ.get("SUPPORTDESK_PI_INSTALL", "") not in ("", "0")


@dataclass
class Peer:
    server: PiServer
    sms: SmsCapture
    world: World
    desk_admin: Admin
    bootstrap_admin: Admin
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.sms.stop()

    def describe_timings(self) -> str:
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.timings.items())
        return f"privacyIDEA peer up in {sum(self.timings.values()):.1f} s ({parts})"


def bring_up(root: Path, *, allow_install: bool | None = None) -> Peer:
    """A seeded privacyIDEA on loopback in `root`; raises PeerUnavailable if it can't be."""
    timings: dict[str, float] = {}
    mark = time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        timings[name] = now - mark
        mark = now

    root.mkdir(parents=True, exist_ok=True)
    allow = install_allowed() if allow_install is None else allow_install
    venv, _built_s = ensure_venv(allow_install=allow, log=root / "pip.log")
    lap("venv")
    bootstrap = Admin(BOOTSTRAP_ADMIN, secrets.token_urlsafe(16))
    desk = Admin(DESK_ADMIN, secrets.token_urlsafe(16))
    server = PiServer(venv=venv, root=root, admins=(bootstrap, desk))
    server.configure()
    lap("setup")
    sms = SmsCapture()
    sms.start()
    try:
        server.start()
        lap("start")
        world = seed(
            server.url,
            (bootstrap.username, bootstrap.password),
            desk.username,
            root / "data",
            sms.url,
        )
        lap("seed")
    except BaseException:
        server.stop()
        sms.stop()
        raise
    return Peer(server, sms, world, desk, bootstrap, timings)
