"""A real Dovecot IMAP server for tests, started as a child process on loopback.

Everything lives in a temporary directory (by default a fresh ``/tmp/dovecot-test-*``, made
world-traversable because Dovecot's unprivileged helper processes must reach it when the
tests run as root; removed on exit): the configuration, a ``passwd-file`` with
plain-text test passwords, the Maildir mail store, ``base_dir``/``state_dir`` and the log.
The server runs with the current user's uid (root or not; no chroot), listens on an
ephemeral loopback port for plain IMAP and, when ``tls=True``, on a second one for IMAPS
with a self-signed certificate made by the ``openssl`` binary.

Usage (pytest)::

    @pytest.fixture
    def dovecot(tmp_path):
        with DovecotServer(users={"hotline": "secret"}) as server:
            yield server

Mail is put into a mailbox with :meth:`DovecotServer.append` (IMAP ``APPEND`` over the
wire, as a delivery agent would), or by the SMTP helper in :mod:`devtools.smtp`.

Set ``DOVECOT_BINARY`` to use another binary than ``/usr/sbin/dovecot``. When the binary is
missing, :func:`require_dovecot` skips the test, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import pytest

from devtools.net import free_port

DEFAULT_BINARY = "/usr/sbin/dovecot"


def dovecot_binary() -> str | None:
    """The Dovecot binary to use, or ``None`` when it is not installed."""
    candidate = os.environ.get("DOVECOT_BINARY", DEFAULT_BINARY)
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("dovecot")


def require_dovecot() -> str:
    """Return the binary; skip when absent, but FAIL under CI (never hide a missing server)."""
    binary = dovecot_binary()
    if binary is None:
        message = "dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + " — required under CI", pytrace=False)
        pytest.skip(message)
    return binary


def make_self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A throw-away certificate/key pair for ``host`` (via the ``openssl`` binary)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            f"subjectAltName=IP:{host},DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _service_users() -> tuple[str, str, str]:
    """(internal user, internal group, login user). Dovecot refuses to run its login
    processes as root, so as root they run as the packaged ``dovenull``/``dovecot`` users
    (or ``nobody``); otherwise everything runs as the current user."""
    if os.getuid() != 0:
        return (
            pwd.getpwuid(os.getuid()).pw_name,
            grp.getgrgid(os.getgid()).gr_name,
            pwd.getpwuid(os.getuid()).pw_name,
        )

    def existing(*names: str) -> str:
        for name in names:
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                return name
        return "nobody"

    internal = existing("dovecot", "nobody")
    return internal, grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name, existing("dovenull", "nobody")


class DovecotServer:
    """One Dovecot instance in ``root`` (a fresh directory)."""

    host = "127.0.0.1"

    def __init__(
        self,
        root: Path | None = None,
        users: dict[str, str] | None = None,
        *,
        tls: bool = False,
        idle: bool = True,
        binary: str | None = None,
    ) -> None:
        self._own_root = root is None
        # as root, Dovecot's unprivileged helpers must traverse the directory: /tmp/xyz 0755
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-test-")) if root is None else Path(root)
        self.root.chmod(0o755)
        self.users = dict(users or {"hotline": "hotline-secret"})
        self.tls = tls
        self.idle = idle
        self.binary = binary or require_dovecot()
        self.port = free_port()
        self.ssl_port = free_port() if tls else 0
        self.cert: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def start(self, timeout: float = 15.0) -> None:
        """Write the configuration (first time) and start the server; wait for its greeting."""
        if not self.config_path.exists():
            self._write_config()
        self._proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "dovecot.stderr", "ab"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self._proc.returncode}: {self.diagnostics()}")
            if self._greets(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.diagnostics()}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        # the whole process group: master, login and the imap processes serving clients
        # (a stopped server drops its connections, as a crashed or restarted one does)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        # wait until the port is really closed so a restart on the same port works
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._greets(self.port):
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def diagnostics(self) -> str:
        parts = []
        for path in (self.root / "dovecot.stderr", self.log_path):
            if path.exists():
                parts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    def _greets(self, port: int) -> bool:
        try:
            with socket.create_connection((self.host, port), timeout=0.5) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    # ------------------------------------------------------------------ configuration

    def _write_config(self) -> None:
        root = self.root
        for sub in ("run", "state", "mail", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        user, group, login_user = _service_users()
        # Dovecot never accesses mail as uid 0: as root, the mail store belongs to ``user``
        mail_uid, mail_gid = (
            (pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
            if os.getuid() == 0
            else (
                os.getuid(),
                os.getgid(),
            )
        )
        for sub in ("mail", "home"):
            os.chown(root / sub, mail_uid, mail_gid)
        (root / "passwd").write_text(
            "".join(f"{name}:{{PLAIN}}{password}::::::\n" for name, password in self.users.items())
        )
        ssl_block = "ssl = no\n"
        if self.tls:
            self.cert, key = make_self_signed_cert(root)
            ssl_block = f"ssl = yes\nssl_cert = <{self.cert}\nssl_key = <{key}\n"
        capability = "" if self.idle else "imap_capability = IMAP4rev1 LITERAL+ SASL-IR UIDPLUS\n"
        self.config_path.write_text(
            f"""# generated by devtools/dovecot.py
protocols = imap
listen = {self.host}
base_dir = {root}/run
state_dir = {root}/state
instance_name = dovecot-test-{self.port}
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
{ssl_block}disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = {min(mail_uid, 500)}
first_valid_gid = {min(mail_gid, 500)}
mail_location = maildir:{root}/mail/%u
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 10 secs
shutdown_clients = yes
{capability}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.ssl_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap {{
  process_limit = 64
}}
"""
        )

    # ------------------------------------------------------------------ mail helpers

    def append(self, user: str, raw: bytes, mailbox: str = "INBOX", when: float | None = None) -> None:
        """Put one message into ``user``'s mailbox with IMAP APPEND (a delivery);
        ``when`` sets its INTERNALDATE (arrival time), default now."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(user, self.users[user])
            typ, data = client.append(mailbox, "", imaplib.Time2Internaldate(when or time.time()), raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def uids(self, user: str, mailbox: str = "INBOX", criteria: str = "ALL") -> list[int]:
        """``UID SEARCH <criteria>`` on a separate, read-only connection."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(user, self.users[user])
            client.select(mailbox, readonly=True)
            _typ, data = client.uid("SEARCH", *criteria.split())
            return [int(x) for x in (data[0] or b"").split()]
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def flags(self, user: str, uid: int, mailbox: str = "INBOX") -> str:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(user, self.users[user])
            client.select(mailbox, readonly=True)
            _typ, data = client.uid("FETCH", str(uid), "(FLAGS)")
            return (data[0] or b"").decode() if isinstance(data[0], bytes) else str(data[0])
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def reset_uidvalidity(self, user: str, mailbox: str = "INBOX") -> None:
        """Force a new UIDVALIDITY (as after a server migration): delete Dovecot's UID list
        and index while the server is stopped, then start it again."""
        was_running = self.running
        self.stop()
        box = self.maildir(user) if mailbox == "INBOX" else self.maildir(user) / f".{mailbox}"
        for name in ("dovecot-uidlist", "dovecot.index", "dovecot.index.cache", "dovecot.index.log"):
            with contextlib.suppress(FileNotFoundError):
                (box / name).unlink()
        time.sleep(1.1)  # UIDVALIDITY is a timestamp: make sure it changes
        if was_running:
            self.start()
