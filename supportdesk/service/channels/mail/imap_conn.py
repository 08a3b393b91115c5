"""One blocking IMAP session over stdlib ``imaplib``, run by the poller in its own thread.

Why imaplib and not an asyncio client: it does TLS, STARTTLS and literals correctly and
has no dependencies, while the asyncio IMAP client on PyPI is GPL-licensed, untyped and
cannot STARTTLS. What imaplib lacks before Python 3.14 is IDLE; it is added here by
reading the socket through our own buffer (``read``/``readline`` are imaplib's documented
hooks), so an IDLE wait can be bounded by a deadline and woken from another thread
without disturbing imaplib's own parsing.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import select
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from supportdesk.service.channels.mail.models import MailCheckpoint
from supportdesk.service.channels.mail.settings import MailSettings

IdleOutcome = Literal["new_mail", "timeout", "woken"]
_MAXLINE: Final = 1_000_000
_UID: Final = re.compile(rb"\bUID (\d+)")
_SIZE: Final = re.compile(rb"\bRFC822\.SIZE (\d+)")
_EXISTS: Final = re.compile(rb"^\* \d+ EXISTS\b", re.IGNORECASE)


class MailboxError(Exception):
    """The server refused something or the session broke; the poller reconnects."""


SESSION_ERRORS: Final = (MailboxError, OSError, imaplib.IMAP4.error)
"""What a broken or refusing IMAP session raises (socket, TLS, protocol)."""


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    can_idle: bool
    keyword_allowed: bool


class _Buffered(imaplib.IMAP4):
    """imaplib reading through a buffer we own, so IDLE can wait with a deadline."""

    _rbuf: bytearray

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self._buffer().extend(data)
        return True

    def _buffer(self) -> bytearray:
        # Set on first read: imaplib's constructor reads the greeting before ours could run.
        if not hasattr(self, "_rbuf"):
            self._rbuf = bytearray()
        return self._rbuf

    def read(self, size: int) -> bytes:
        self._buffer()
        while len(self._rbuf) < size:
            if not self._fill():
                break
        chunk = bytes(self._rbuf[:size])
        del self._rbuf[:size]
        return chunk

    def readline(self) -> bytes:
        self._buffer()
        while b"\n" not in self._rbuf:
            if len(self._rbuf) > _MAXLINE:
                raise self.error(f"got more than {_MAXLINE} bytes")
            if not self._fill():
                break
        end = self._rbuf.find(b"\n")
        end = len(self._rbuf) if end < 0 else end + 1
        line = bytes(self._rbuf[:end])
        del self._rbuf[:end]
        return line

    def has_buffered_line(self) -> bool:
        if b"\n" in self._buffer():
            return True
        return isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0


class _BufferedTls(_Buffered, imaplib.IMAP4_SSL):
    pass


class MailboxConnection:
    """Connect, select, find new mail, fetch it, mark it taken, and IDLE."""

    def __init__(self, settings: MailSettings, ssl_context: ssl.SSLContext) -> None:
        self._settings = settings
        self._context = ssl_context
        self._imap: _Buffered | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._tags = 0

    # -- session ---------------------------------------------------------------------
    def connect(self) -> FolderState:
        s = self._settings
        host, port, timeout = s.imap_host or "", s.imap_port_value(), s.timeout_s
        try:
            if s.imap_security == "tls":
                imap: _Buffered = _BufferedTls(
                    host, port, ssl_context=self._context, timeout=timeout
                )
            else:
                imap = _Buffered(host, port, timeout=timeout)
                if s.imap_security == "starttls":
                    if "STARTTLS" not in imap.capabilities:
                        imap.shutdown()
                        raise MailboxError(f"{host} does not offer STARTTLS")
                    imap.starttls(self._context)
            self._imap = imap
            imap.login(s.imap_user or "", s.imap_secret() or "")
            typ, _ = imap.select(_quote(s.imap_folder))
            if typ != "OK":
                raise MailboxError(f"folder {s.imap_folder!r} cannot be opened")
            _, validity = imap.response("UIDVALIDITY")
            _, flags = imap.response("PERMANENTFLAGS")
            _, caps = imap.capability()
        except imaplib.IMAP4.error as exc:
            raise MailboxError(f"IMAP: {_reason(exc)}") from exc
        permanent = b" ".join(f for f in flags if isinstance(f, bytes))
        advertised = b" ".join(c for c in caps if isinstance(c, bytes)).upper().split()
        return FolderState(
            uidvalidity=int(validity[0]) if validity and validity[0] else 0,
            can_idle=b"IDLE" in advertised,
            keyword_allowed=b"\\*" in permanent or s.taken_keyword.encode() in permanent,
        )

    def close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is not None:
            try:
                imap.sock.settimeout(2.0)
                imap.logout()
            except (OSError, imaplib.IMAP4.error):
                with contextlib.suppress(OSError):
                    imap.shutdown()
        for end in (self._wake_r, self._wake_w):
            end.close()

    # -- finding and taking mail --------------------------------------------------------
    def search_new(self, checkpoint: MailCheckpoint | None, uidvalidity: int) -> list[int]:
        """UIDs to take, oldest first: above the checkpoint, else unseen and unmarked."""
        if checkpoint is not None and checkpoint.uidvalidity == uidvalidity:
            criteria: tuple[str, ...] = ("UID", f"{checkpoint.last_uid + 1}:*")
            floor = checkpoint.last_uid
        else:
            criteria = ("UNSEEN", "UNKEYWORD", self._settings.taken_keyword)
            floor = 0
        data = self._ok(self._session().uid("SEARCH", *criteria))
        found = (data[0] or b"").split() if data and isinstance(data[0], bytes) else []
        return sorted(uid for uid in (int(x) for x in found) if uid > floor)

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        data = self._ok(self._session().uid("FETCH", _uid_set(uids), "(RFC822.SIZE)"))
        sizes: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if (
                isinstance(line, bytes)
                and (uid := _UID.search(line))
                and (size := _SIZE.search(line))
            ):
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def fetch(self, uid: int, *, headers_only: bool = False) -> bytes | None:
        """The message as stored (``BODY.PEEK`` leaves \\Seen alone), None if it is gone."""
        section = "(BODY.PEEK[HEADER])" if headers_only else "(BODY.PEEK[])"
        for item in self._ok(self._session().uid("FETCH", str(uid), section)):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def mark_taken(self, uid: int, keyword_allowed: bool) -> None:
        flags = f"(\\Seen {self._settings.taken_keyword})" if keyword_allowed else "(\\Seen)"
        self._ok(self._session().uid("STORE", str(uid), "+FLAGS.SILENT", flags))

    def saw_new_mail(self) -> bool:
        """Whether the server announced messages (EXISTS) since the last look.

        Also drops the other untagged responses imaplib keeps (RECENT, EXPUNGE, flag
        updates): nothing reads them, and a session that lives for days would pile them up.
        """
        untagged = self._session().untagged_responses
        announced = bool(untagged.pop("EXISTS", None))
        untagged.clear()
        return announced

    # -- IDLE ---------------------------------------------------------------------------
    def wake(self) -> None:
        """Ends a running ``idle`` early (safe from any thread)."""
        with contextlib.suppress(OSError):
            self._wake_w.send(b"!")

    def idle(self, timeout_s: float, on_started: Callable[[], None]) -> IdleOutcome:
        """Wait in IDLE until new mail is announced, ``timeout_s`` passes or ``wake``."""
        imap = self._session()
        self._tags += 1
        tag = f"SDIDLE{self._tags}".encode()
        imap.send(tag + b" IDLE\r\n")
        outcome: IdleOutcome | None = None
        line = imap.readline()
        while line.startswith(b"*"):
            if _EXISTS.match(line):
                outcome = "new_mail"
            line = imap.readline()
        if not line.startswith(b"+"):
            raise MailboxError(f"IDLE refused: {line.decode('ascii', 'replace').strip()}")
        on_started()
        deadline = time.monotonic() + timeout_s
        while outcome is None:
            ready = self._wait(imap, deadline)
            if ready == "data":
                line = imap.readline()
                if not line:
                    raise MailboxError("the server closed the connection during IDLE")
                if line.upper().startswith(b"* BYE"):
                    raise MailboxError(f"server: {line.decode('ascii', 'replace').strip()}")
                if _EXISTS.match(line):
                    outcome = "new_mail"
            else:
                outcome = ready
        imap.send(b"DONE\r\n")
        while True:
            line = imap.readline()
            if not line:
                raise MailboxError("the server closed the connection ending IDLE")
            if line.startswith(tag):
                if not line[len(tag) :].strip().upper().startswith(b"OK"):
                    raise MailboxError("IDLE ended with an error")
                return outcome

    def _wait(self, imap: _Buffered, deadline: float) -> Literal["data", "woken", "timeout"]:
        if imap.has_buffered_line():
            return "data"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timeout"
        readable, _, _ = select.select([imap.sock, self._wake_r], [], [], remaining)
        if self._wake_r in readable:
            with contextlib.suppress(BlockingIOError):
                self._wake_r.recv(64)
            return "woken"
        return "data" if readable else "timeout"

    # -- plumbing -----------------------------------------------------------------------
    def _session(self) -> _Buffered:
        if self._imap is None:
            raise MailboxError("not connected")
        return self._imap

    @staticmethod
    def _ok(answer: tuple[str, list[object]]) -> list[object]:
        typ, data = answer
        if typ != "OK":
            detail = (
                data[0].decode("utf-8", "replace") if data and isinstance(data[0], bytes) else ""
            )
            raise MailboxError(f"IMAP {typ}: {detail}".strip())
        return data


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uid_set(uids: Sequence[int]) -> str:
    return ",".join(str(uid) for uid in uids)


def _reason(exc: BaseException) -> str:
    text = str(exc.args[0]) if exc.args else type(exc).__name__
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text
