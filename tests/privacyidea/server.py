"""One privacyIDEA server on loopback: its config, keys, tables, admins and gunicorn.

Everything lives in one folder the caller owns (a pytest temp dir, a bench's scratch
dir). The listening socket is opened here and handed to gunicorn by descriptor, so
no other program can take the port between choosing and binding it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.privacyidea.venv import PeerUnavailable, python_of

# Test peer only: argon2 at its cheapest for admin passwords (the default costs ~0.3 s a hash).
FAST_HASH = {"argon2__rounds": 1, "argon2__memory_cost": 8, "argon2__parallelism": 1}

_SETUP = """
import json, sys
from privacyidea.cli.pimanage import cli
for args in json.loads(sys.argv[1]):
    cli.main(args, prog_name="pi-manage", standalone_mode=False)
"""


@dataclass(frozen=True)
class Admin:
    username: str
    password: str


@dataclass
class PiServer:
    """A configured privacyIDEA in `root`, started with `start()` and ended with `stop()`."""

    venv: Path
    root: Path
    admins: tuple[Admin, ...]
    workers: int = 2
    threads: int = 4
    process: subprocess.Popen[bytes] | None = None
    url: str = ""

    @property
    def config(self) -> Path:
        return self.root / "etc" / "pi.cfg"

    @property
    def database(self) -> Path:
        return self.root / "data" / "pi.sqlite"

    @property
    def audit_public_key(self) -> Path:
        return self.root / "etc" / "audit-public.pem"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    def configure(self) -> None:
        """Config file, encryption and audit keys, tables and admins (one pi-manage process)."""
        for sub in ("etc", "data", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.config.write_text(self._config_text())
        steps: list[list[str]] = [
            ["setup", "create_enckey"],
            ["setup", "create_audit_keys"],
            ["setup", "create_tables"],
        ]
        steps += [["admin", "add", a.username, "-p", a.password] for a in self.admins]
        with (self.log_dir / "setup.log").open("w") as out:
            done = subprocess.run(
                [str(python_of(self.venv)), "-c", _SETUP, json.dumps(steps)],
                env=self._env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=300,
            )
        if done.returncode != 0:
            raise PeerUnavailable(
                "pi-manage setup failed:\n" + (self.log_dir / "setup.log").read_text()[-2000:]
            )

    def start(self, *, timeout_s: float = 120.0) -> None:
        """Start gunicorn on a fresh loopback port and wait until /healthz/ answers."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        fd = listener.fileno()
        app = (
            "privacyidea.app:create_app(config_name='production', "
            f"config_file={str(self.config)!r}, silent=True)"
        )
        command = [
            str(python_of(self.venv)),
            "-m",
            "gunicorn",
            f"--bind=fd://{fd}",
            f"--workers={self.workers}",
            f"--threads={self.threads}",
            "--graceful-timeout=5",
            "--timeout=120",
            f"--access-logfile={self.log_dir / 'access.log'}",
            f"--error-logfile={self.log_dir / 'gunicorn.log'}",
            app,
        ]
        with (self.log_dir / "gunicorn.out").open("w") as out:
            self.process = subprocess.Popen(
                command,
                env=self._env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
                start_new_session=True,
            )
        listener.close()  # gunicorn holds its own copy of the socket now
        self._wait_healthy(timeout_s)

    def stop(self) -> None:
        """End gunicorn (its workers go with it) by the PID we started, then wait for it."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # The session holds gunicorn and its workers only: we started it.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with httpx.Client(trust_env=False, timeout=5.0) as http:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise PeerUnavailable(f"gunicorn exited early:\n{self._log_tail()}")
                try:
                    if http.get(f"{self.url}/healthz/").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise PeerUnavailable(f"privacyIDEA did not answer /healthz/ in {timeout_s:.0f} s")

    def _log_tail(self) -> str:
        path = self.log_dir / "gunicorn.log"
        return path.read_text()[-2000:] if path.exists() else "(no log)"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["PRIVACYIDEA_CONFIGFILE"] = str(self.config)
        env["NO_PROXY"] = "127.0.0.1,localhost"
        env["TZ"] = "UTC"  # its audit dates are local time without a zone
        return env

    def _config_text(self) -> str:
        etc, data, log = self.root / "etc", self.root / "data", self.log_dir
        values: dict[str, object] = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data / 'pi.sqlite'}",
            "SECRET_KEY": secrets.token_hex(32),
            "PI_PEPPER": secrets.token_hex(16),
            "PI_ENCFILE": str(etc / "enckey"),
            "PI_AUDIT_KEY_PRIVATE": str(etc / "audit-private.pem"),
            "PI_AUDIT_KEY_PUBLIC": str(self.audit_public_key),
            "PI_AUDIT_SERVERNAME": "supportdesk-test-peer",
            "PI_NODE": "supportdesk-test-peer",
            "PI_NODE_UUID": str(uuid.uuid4()),
            "PI_UUID_FILE": str(etc / "uuid.txt"),
            "PI_LOGFILE": str(log / "privacyidea.log"),
            "PI_LOGCONFIG": str(etc / "no-logging-config.cfg"),
            "PI_LOGLEVEL": 20,
            "SUPERUSER_REALM": [],
            "PI_HASH_ALGO_PARAMS": FAST_HASH,
        }
        lines = ["# Written by the supportdesk test fixture: a throw-away peer on loopback."]
        lines += [f"{name} = {value!r}" for name, value in values.items()]
        return "\n".join(lines) + "\n"
