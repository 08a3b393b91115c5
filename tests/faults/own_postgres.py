"""A PostgreSQL cluster of the test's own, which it may stop and start again.

The fault tests stop the database under a running service; they must not stop the
server every other test shares (SUPPORTDESK_TEST_PG_URL), so they make a cluster of
their own in a temporary folder, as `.ci/start-postgres` does: as the postgres user
(the server refuses root), on a free loopback port, trust auth, fsync off.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bench.serving import free_port


def _binary(name: str) -> str | None:
    for found in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return found
    return shutil.which(name)


def why_not_available() -> str | None:
    """None when this machine can run a cluster of our own; else the reason it cannot."""
    if _binary("initdb") is None or _binary("pg_ctl") is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl)"
    if os.geteuid() != 0 and not os.access(tempfile.gettempdir(), os.W_OK):
        return "cannot make a data folder"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to become postgres"
    return None


@dataclass
class OwnPostgres:
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = _binary("pg_ctl")
        assert pg_ctl is not None
        _as_postgres([pg_ctl, "-D", str(self.folder / "data"), "-w", *args])

    def start(self) -> None:
        """Start (again) on the same port; returns once it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
            "-c fsync=off -c max_connections=60"
        )
        self._pg_ctl("-l", str(self.folder / "log"), "-o", options, "start")

    def stop(self) -> None:
        """A fast shutdown: open connections are ended, as when the database goes away."""
        self._pg_ctl("-m", "fast", "stop")


def _as_postgres(args: list[str]) -> None:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, capture_output=True, timeout=120)


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A fresh cluster, started; stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="supportdesk-own-pg."))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    initdb = _binary("initdb")
    assert initdb is not None
    _as_postgres([initdb, "-D", str(folder / "data"), "-A", "trust", "-U", "postgres"])
    cluster = OwnPostgres(folder, free_port())
    cluster.start()
    try:
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
