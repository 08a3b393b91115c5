"""The embedded demo service's own process: `python -m supportdesk.embedded_child`.

The desk starts this at launch (`supportdesk.embedded_process`), so the service's heavy
imports run on the other core while the desk paints its first frame. It serves the
same app as `supportdesk serve --demo`, on a Unix socket in a folder only this user can
open, and tells the desk how the start went in one line of JSON on stdout:
``{"ready": true}`` or ``{"error": "<what went wrong, for the agent>"}``.

It ends when the desk ends: when its stdin (a pipe from the desk) closes, however the
desk ended (quit, crash or kill), and on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LOG_NAME = "service.log"
"""The desk sends this process's stderr there, beside the socket."""
READY = "ready"
ERROR = "error"
WARM_AFTER_S = 3.0
"""How long after start the rest of the routers load (about 250 ms of CPU): a person
takes longer than this to type a sign-in, so it is not slowed by the load, and the
queue's first page finds them loaded; a quicker caller loads them on first use."""


def _say(**message: Any) -> None:
    """One line to the desk; stdout carries nothing else."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def why_it_failed(exc: BaseException) -> str:
    """A failure at start-up as one sentence for the agent (never a traceback)."""
    sa_errors = sys.modules.get("sqlalchemy.exc")  # loaded if the store was reached
    if sa_errors is not None and isinstance(exc, sa_errors.DBAPIError):
        reason = str(exc.orig).strip() or type(exc.orig).__name__
        if "locked" in reason:
            return f"the demo store is in use by another program ({reason})"
        return f"the demo store cannot be opened ({reason})"
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def serve(socket_path: Path, data_dir: Path | None) -> None:
    """Open (and on first use seed) the demo store, then answer on the socket."""
    # Bind first: the desk may connect while the service finishes starting; its
    # requests wait in the listen queue instead of failing.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    os.chmod(socket_path, 0o600)
    listener.listen(128)

    import uvicorn

    from supportdesk.config import load_settings
    from supportdesk.service.demo.store import open_demo_context
    from supportdesk.service.http.app import build_app
    from supportdesk.service.http.lazy_routers import load_deferred

    settings = await asyncio.to_thread(load_settings, data_dir=data_dir)
    ctx = await open_demo_context(settings.data_dir)
    try:
        app = build_app(ctx, lazy=True)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        _stop_when_the_desk_goes(server)
        _say(**{READY: True})
        gc.freeze()  # what start-up made lives as long as the process: never traverse it
        gc.enable()
        # The routers a sign-in does not need load a little later (or on first use, if
        # the agent is quicker than that). The task is held so it is not collected.
        warming: set[asyncio.Task[None]] = set()

        def warm() -> None:
            task = asyncio.ensure_future(load_deferred(app))
            warming.add(task)
            task.add_done_callback(warming.discard)

        later = asyncio.get_running_loop().call_later(WARM_AFTER_S, warm)
        try:
            await server.serve(sockets=[listener])
        finally:
            later.cancel()
    finally:
        await ctx.engine.dispose()
        _tidy(socket_path)


def _tidy(socket_path: Path) -> None:
    """Leave no socket behind; the folder too when nothing else is in it (a desk killed
    by a hang-up had no chance to remove it)."""
    folder = socket_path.parent
    for name in (socket_path.name, LOG_NAME):
        with contextlib.suppress(OSError):
            (folder / name).unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _stop_when_the_desk_goes(server: Any) -> None:
    """The desk holds the other end of stdin: end of file means the desk has ended."""
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()

    def readable() -> None:
        if not os.read(fd, 4096):
            loop.remove_reader(fd)
            server.should_exit = True

    loop.add_reader(fd, readable)


def main(argv: Sequence[str] | None = None) -> int:
    # Start-up allocates hundreds of thousands of objects that live as long as the
    # process: collecting them while importing is wasted time. On again once ready.
    gc.disable()
    parser = argparse.ArgumentParser(prog="supportdesk-embedded", description=__doc__)
    parser.add_argument("--socket", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.socket, args.data_dir))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # reported to the desk as a sentence, never a traceback
        _say(**{ERROR: why_it_failed(exc)})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
