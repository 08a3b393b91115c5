"""Real mail servers on loopback for the channel tests.

``Dovecot`` runs from a throwaway config in a temp dir, as a non-root user (the ``mail``
system user when the tests run as root), with Maildir mailboxes from a passwd-file, IMAP
on a plain/STARTTLS port and an implicit-TLS port, and LMTP for delivery. ``SmtpRelay`` is
aiosmtpd in a thread in the test process: what it accepts it delivers through Dovecot's
LMTP, so a message sent by SMTP really lands in a mailbox. A private CA signs the
certificate for 127.0.0.1 / localhost; clients trust it through ``MailSettings.ca_file``.

Each test takes fresh mailboxes (``new_mailbox``) so tests never see each other's mail.
They are all written to the passwd-file before Dovecot starts: Dovecot looks at a changed
passwd-file at most once a second, so adding users on the fly would race. Everything is
stopped by its PID.
"""

from __future__ import annotations

import asyncio
import imaplib
import itertools
import os
import pwd
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

DOMAIN = "desk.test"
POOL = 120
"""Mailboxes made before the server starts (a session of tests uses a few dozen)."""
DOVECOT = Path("/usr/sbin/dovecot")
DOVECOT_LIBEXEC = Path("/usr/lib/dovecot")


def missing_parts() -> str | None:
    """Why the real servers cannot run here (None when they can)."""
    if not DOVECOT.exists() or shutil.which("doveadm") is None:
        return "Dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)"
    for part in ("imap", "lmtp"):
        if not (DOVECOT_LIBEXEC / part).exists():
            return f"Dovecot's {part} server is missing (apt-get install dovecot-{part}d)"
    if shutil.which("openssl") is None:
        return "openssl is not installed (needed for the test CA)"
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        return "aiosmtpd is not installed (pip install -e '.[test]')"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, deadline_s: float = 15.0) -> None:
    """Block until something accepts on 127.0.0.1:port (a server start, not a timing guess)."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass(frozen=True)
class Mailbox:
    address: str
    password: str


class TestCA:
    """A CA and a server certificate for 127.0.0.1 and localhost, made with openssl."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.ca = directory / "ca.pem"
        self.cert = directory / "server.pem"
        self.key = directory / "server.key"
        run = ["openssl"]
        subprocess.run(
            [*run, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", str(directory / "ca.key"), "-out", str(self.ca),
             "-subj", "/CN=supportdesk test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [*run, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key),
             "-out", str(directory / "server.csr"), "-subj", "/CN=localhost"],
            check=True, capture_output=True,
        )  # fmt: skip
        extensions = directory / "server.ext"
        extensions.write_text(
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
            "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        )
        subprocess.run(
            [*run, "x509", "-req", "-in", str(directory / "server.csr"), "-CA", str(self.ca),
             "-CAkey", str(directory / "ca.key"), "-CAcreateserial", "-days", "2",
             "-out", str(self.cert), "-extfile", str(extensions)],
            check=True, capture_output=True,
        )  # fmt: skip

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


class Dovecot:
    """One Dovecot instance: IMAP (plain/STARTTLS and TLS ports) and LMTP on loopback."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="supportdesk-dovecot."))
        user = pwd.getpwuid(os.geteuid()) if os.geteuid() != 0 else _mail_user()
        self.uid, self.gid, self.user = user.pw_uid, user.pw_gid, user.pw_name
        self.ca = TestCA(self.dir)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.lmtp_port = free_port()
        self.passwd = self.dir / "passwd"
        self.pool = [Mailbox(f"box{n}@{DOMAIN}", f"pw-box{n}-secret") for n in range(1, POOL + 1)]
        self.passwd.write_text(
            "".join(
                f"{m.address}:{{PLAIN}}{m.password}:{self.uid}:{self.gid}::"
                f"{self.dir / 'home' / m.address}::\n"
                for m in self.pool
            )
        )
        (self.dir / "dovecot.conf").write_text(self._config())
        for sub in ("run", "state", "home"):
            (self.dir / sub).mkdir()
        for path in [self.dir, *self.dir.rglob("*")]:
            os.chown(path, self.uid, self.gid)
        self.dir.chmod(0o711)
        self._next = itertools.count()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if os.geteuid() == 0:
            kwargs = {"user": self.uid, "group": self.gid, "extra_groups": []}
        with (self.dir / "stdout.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(DOVECOT), "-F", "-c", str(self.dir / "dovecot.conf")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs,
            )  # fmt: skip
        for port in (self.imap_port, self.imaps_port, self.lmtp_port):
            wait_for_port(port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def new_mailbox(self) -> Mailbox:
        """A mailbox no test has used yet (empty until someone sends to it)."""
        index = next(self._next)
        if index >= len(self.pool):
            raise RuntimeError(f"all {len(self.pool)} test mailboxes are used: raise POOL")
        return self.pool[index]

    def kick(self, mailbox: Mailbox) -> None:
        """Disconnect every IMAP session of the mailbox (the server side of a dropped link)."""
        subprocess.run(
            ["doveadm", "-c", str(self.dir / "dovecot.conf"), "kick", mailbox.address],
            check=True, capture_output=True,
        )  # fmt: skip

    def log_tail(self, lines: int = 30) -> str:
        path = self.dir / "dovecot.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    def _config(self) -> str:
        d = self.dir
        return f"""
instance_name = supportdesk-test-{d.name}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
default_internal_user = {self.user}
default_internal_group = {self.user}
default_login_user = {self.user}
first_valid_uid = {self.uid}
first_valid_gid = {self.gid}
ssl = yes
ssl_cert = <{self.ca.cert}
ssl_key = <{self.ca.key}
auth_mechanisms = plain login
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.passwd}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
service anvil {{
  chroot =
}}
service auth-worker {{
  user = {self.user}
}}
"""


def _mail_user() -> pwd.struct_passwd:
    for name in ("mail", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user to run Dovecot as")


class _RelayHandler:
    """aiosmtpd handler: accept mail for the test domain, deliver it by Dovecot's LMTP."""

    def __init__(self, lmtp_port: int) -> None:
        self.lmtp_port = lmtp_port

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        local, _, domain = address.partition("@")
        if domain.lower() != DOMAIN:
            return "550 5.7.1 relaying denied"
        if local.startswith("tempfail"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        try:
            await asyncio.to_thread(self._deliver, envelope.mail_from, envelope.rcpt_tos,
                                    envelope.original_content)  # fmt: skip
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return f"{code} {text.decode(errors='replace')}"
        return "250 2.0.0 delivered"

    def _deliver(self, sender: str, recipients: list[str], content: bytes) -> None:
        for recipient in recipients:
            with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
                lmtp.sendmail(sender, [recipient], content)


class SmtpRelay:
    """Three submission ports: plain (loopback, no auth), STARTTLS + AUTH, and TLS + AUTH."""

    def __init__(self, dovecot: Dovecot) -> None:
        from aiosmtpd.controller import Controller

        self.dovecot = dovecot
        self.accounts: dict[str, str] = {}
        handler = _RelayHandler(dovecot.lmtp_port)
        context = dovecot.ca.server_context()
        self.plain_port, self.starttls_port, self.tls_port = free_port(), free_port(), free_port()
        self.controllers = [
            Controller(handler, hostname="127.0.0.1", port=self.plain_port, ready_timeout=15),
            Controller(
                handler, hostname="127.0.0.1", port=self.starttls_port, ready_timeout=15,
                tls_context=context, require_starttls=True, auth_require_tls=True,
                authenticator=self._authenticate,
            ),
            Controller(
                handler, hostname="127.0.0.1", port=self.tls_port, ready_timeout=15,
                ssl_context=context, auth_require_tls=False, authenticator=self._authenticate,
            ),
        ]  # fmt: skip

    def start(self) -> None:
        for controller in self.controllers:
            controller.start()

    def stop(self) -> None:
        for controller in self.controllers:
            controller.stop()

    def allow(self, mailbox: Mailbox) -> None:
        self.accounts[mailbox.address] = mailbox.password

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if self.accounts.get(login) == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


class MailWorld:
    """The servers plus what a test does as a user: send by SMTP, read by IMAP."""

    def __init__(self) -> None:
        self.dovecot = Dovecot()
        self.relay = SmtpRelay(self.dovecot)

    def start(self) -> None:
        self.dovecot.start()
        self.relay.start()

    def stop(self) -> None:
        self.relay.stop()
        self.dovecot.stop()

    @property
    def ca_file(self) -> Path:
        return self.dovecot.ca.ca

    def new_mailbox(self) -> Mailbox:
        mailbox = self.dovecot.new_mailbox()
        self.relay.allow(mailbox)
        return mailbox

    def mail_settings(self, support: Mailbox, **overrides: Any) -> dict[str, Any]:
        """``MailSettings`` fields for the support mailbox (IMAP over TLS, SMTP STARTTLS)."""
        fields: dict[str, Any] = {
            "support_address": support.address,
            "support_name": "Alvys Support",
            "imap_host": "127.0.0.1",
            "imap_port": self.dovecot.imaps_port,
            "imap_security": "tls",
            "imap_user": support.address,
            "imap_password": support.password,
            "smtp_host": "127.0.0.1",
            "smtp_port": self.relay.starttls_port,
            "smtp_security": "starttls",
            "smtp_user": support.address,
            "smtp_password": support.password,
            "ca_file": self.ca_file,
            "poll_interval_s": 3600,
            "timeout_s": 10,
            "backoff_initial_s": 0.05,
            "backoff_max_s": 0.5,
        }
        fields.update(overrides)
        return fields

    def send_as(self, sender: Mailbox, to: str, subject: str, body: str, **headers: str) -> str:
        """What a user's mail client does: submit a message by SMTP; its Message-ID."""
        message = EmailMessage()
        message["From"] = sender.address
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = headers.pop("Message-ID", make_msgid(domain="user.test"))
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        message.set_content(body)
        return self.submit(sender, message.as_bytes(), to)

    def submit(self, sender: Mailbox, raw: bytes, to: str) -> str:
        """Submit raw bytes as they are (line ends made CRLF, as SMTP requires)."""
        raw = re.sub(rb"(?<!\r)\n", b"\r\n", raw)
        with smtplib.SMTP("127.0.0.1", self.relay.plain_port, timeout=10) as smtp:
            smtp.sendmail(sender.address, [to], raw)
        from email import message_from_bytes

        return str(message_from_bytes(raw)["Message-ID"])

    def read_mailbox(self, mailbox: Mailbox) -> list[bytes]:
        """Every message in the mailbox's INBOX, oldest first, as a mail client reads them."""
        with imaplib.IMAP4_SSL(
            "127.0.0.1", self.dovecot.imaps_port, ssl_context=self.dovecot.ca.client_context()
        ) as imap:
            imap.login(mailbox.address, mailbox.password)
            imap.select("INBOX", readonly=True)
            _, data = imap.uid("SEARCH", "ALL")
            out: list[bytes] = []
            for uid in (data[0] or b"").split():
                _, fetched = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
                out.extend(item[1] for item in fetched if isinstance(item, tuple))
            return out

    def flags(self, mailbox: Mailbox) -> list[str]:
        """The flags of each message in INBOX, oldest first."""
        with imaplib.IMAP4_SSL(
            "127.0.0.1", self.dovecot.imaps_port, ssl_context=self.dovecot.ca.client_context()
        ) as imap:
            imap.login(mailbox.address, mailbox.password)
            imap.select("INBOX", readonly=True)
            _, data = imap.fetch("1:*", "(FLAGS)")
            return [item.decode() for item in data if isinstance(item, bytes)]


def mail_world() -> Iterator[MailWorld]:
    world = MailWorld()
    try:
        world.start()
        yield world
    finally:
        world.stop()
