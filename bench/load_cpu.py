"""CPU time spent by each side of a load run: the serve processes, the PostgreSQL backends
serving them, and the load generator itself.

On a shared machine throughput moves with everyone else's jobs; CPU per request moves
far less, so the load bench prints both. Read from /proc (Linux); where it is missing
the figures are left out.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuSample:
    serve_s: float
    database_s: float
    generator_s: float

    def __sub__(self, other: CpuSample) -> CpuSample:
        return CpuSample(
            self.serve_s - other.serve_s,
            self.database_s - other.database_s,
            self.generator_s - other.generator_s,
        )


def _stat_fields(stat: Path) -> list[str] | None:
    try:
        return stat.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # the process ended while we looked


def sample(serve_groups: set[int], postmaster: int | None) -> CpuSample:
    """CPU seconds so far: processes in the serve process groups; the PostgreSQL server
    (the postmaster, its live backends, and those that ended: a parent's reaped children
    count in its own cutime/cstime, so a pool replacing connections loses nothing); and
    this process. The server should be the run's own: any other client of it counts."""
    serve = database = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(stat)
        if fields is None:
            continue
        used = (int(fields[11]) + int(fields[12])) / _TICK
        pid, parent = int(stat.parent.name), int(fields[1])
        if int(fields[2]) in serve_groups:
            serve += used
        elif postmaster is not None and pid == postmaster:
            database += used + (int(fields[13]) + int(fields[14])) / _TICK
        elif postmaster is not None and parent == postmaster:
            database += used
    own = resource.getrusage(resource.RUSAGE_SELF)
    return CpuSample(serve, database, own.ru_utime + own.ru_stime)


def postmaster_on(port: int | None) -> int | None:
    """The PostgreSQL server process listening on this loopback port, if it is on this
    machine and we may read it (its command line names the port, as .ci/start-postgres
    starts it); None otherwise, and the database column is then left out."""
    if port is None:
        return None
    wanted = f"-p {port} ".encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"postgres" in args.split(b" ", 1)[0] and wanted in args + b" ":
            return int(cmdline.parent.name)
    return None


def describe(used: CpuSample, requests: int, elapsed_s: float) -> str:
    """CPU per request by side, and the share of two cores that was."""
    if requests == 0:
        return "  CPU: no requests"
    per = 1000.0 / requests
    total = used.serve_s + used.database_s + used.generator_s
    return (
        f"  CPU per request: serve {used.serve_s * per:.2f} ms, PostgreSQL "
        f"{used.database_s * per:.2f} ms, load generator {used.generator_s * per:.2f} ms "
        f"(all three: {total * per:.2f} ms; they kept {total / elapsed_s:.2f} of the "
        f"{os.cpu_count()} cores busy)"
    )
