"""privacyIDEA's own virtual environment, built once and kept in the user cache.

The venv is keyed by the pinned version, the constraints file and the Python it is
built with, so a change to any of them builds a new one beside the old. It is built
in a scratch folder and renamed into place under a lock, so two test runs at once
neither build it twice nor see half an install. Everything is run through the
venv's interpreter (``python -m ...``), never through its scripts, whose first line
would still name the scratch folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

PI_VERSION = "3.14"
CONSTRAINTS = Path(__file__).with_name("constraints.txt")
KEY_FILE = "supportdesk-venv-key.txt"
IMPORT_CHECK = "import privacyidea.app, gunicorn, privacyidea.cli.pimanage"


class PeerUnavailable(RuntimeError):
    """privacyIDEA could not be installed or started on this machine."""


def venv_key() -> str:
    """What the venv was built from: version, constraints and interpreter."""
    digest = hashlib.sha256()
    digest.update(PI_VERSION.encode())
    digest.update(CONSTRAINTS.read_bytes())
    digest.update(f"{sys.implementation.name}{sys.version_info[:2]}".encode())
    return digest.hexdigest()[:12]


def venv_path() -> Path:
    """$SUPPORTDESK_PI_VENV if set, else a keyed folder in the user cache."""
    explicit = os.environ.get("SUPPORTDESK_PI_VENV")
    if explicit:
        return Path(explicit)
    cache = Path(platformdirs.user_cache_dir("supportdesk", appauthor=False))
    return cache / f"privacyidea-{PI_VERSION}-{venv_key()}"


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def usable(venv: Path) -> bool:
    """The venv holds this key's install and privacyIDEA imports from it."""
    try:
        if (venv / KEY_FILE).read_text().strip() != venv_key():
            return False
    except OSError:
        return False
    probe = subprocess.run(
        [str(python_of(venv)), "-c", IMPORT_CHECK], capture_output=True, timeout=120
    )
    return probe.returncode == 0


def ensure_venv(*, allow_install: bool, log: Path) -> tuple[Path, float]:
    """The usable venv, building it if allowed; returns it and the seconds spent building."""
    venv = venv_path()
    if usable(venv):
        return venv, 0.0
    if not allow_install:
        raise PeerUnavailable(
            f"privacyIDEA {PI_VERSION} is not installed in {venv}; "
            "set SUPPORTDESK_PI_INSTALL=1 (or SUPPORTDESK_REQUIRE_PI=1) to install it (~520 MB)"
        )
    venv.parent.mkdir(parents=True, exist_ok=True)
    with _lock(venv.parent / f".{venv.name}.lock"):
        if usable(venv):  # another run built it while we waited
            return venv, 0.0
        started = time.monotonic()
        _build(venv, log)
        return venv, time.monotonic() - started


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(venv: Path, log: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=f".{venv.name}-", dir=venv.parent))
    try:
        _run([sys.executable, "-m", "venv", str(scratch)], log)
        _run(
            [
                str(python_of(scratch)),
                "-m",
                "pip",
                "install",
                "--no-input",
                "--progress-bar",
                "off",
                "-c",
                str(CONSTRAINTS),
                f"privacyidea=={PI_VERSION}",
                "gunicorn",
            ],
            log,
        )
        (scratch / KEY_FILE).write_text(venv_key() + "\n")
        if venv.exists():  # a stale build of another key under an explicit path
            shutil.rmtree(venv)
        scratch.rename(venv)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    if not usable(venv):
        raise PeerUnavailable(f"privacyIDEA does not import from the new venv {venv}")


def _run(command: list[str], log: Path) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=900)
    if done.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-15:])
        raise PeerUnavailable(f"{command[2]} {command[3]} failed ({done.returncode}):\n{tail}")
