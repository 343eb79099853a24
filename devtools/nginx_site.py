"""The shipped nginx site (``deploy/nginx/tongdai1022.conf``) rendered for a loopback run.

The site file marks the deployment's own values with ``# @site:NAME`` at the end of a
line; :func:`render_site` replaces exactly those lines (upstream servers, listen ports,
server name, certificate paths, static root, ACME root) and keeps every other line, so
the file the tests and ``bench/faults.py`` run is the file the operator installs.

Use::

    cert, key = self_signed_cert(prefix)
    site = LoopbackSite(upstreams=[8101, 8102], http_port=p1, https_port=p2,
                        certificate=cert, certificate_key=key)
    prepare(prefix, site)                 # site.conf + nginx.conf + temp dirs in prefix
    ok, output = nginx_test(prefix)       # nginx -t
    with NginxProcess(prefix, site) as nginx:   # daemon off, stopped on exit
        ...

Needs the ``nginx`` binary (Debian ``nginx-light``: ``/usr/sbin/nginx``) and ``openssl``.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
SITE_FILE = ROOT / "deploy" / "nginx" / "tongdai1022.conf"
SHIPPED_ROOT = "/opt/tongdai1022"  # the checkout's place in the shipped site (static files)
MIME_TYPES = Path("/etc/nginx/mime.types")
MARKED = re.compile(r"^(?P<indent>\s*)(?P<body>\S.*?);\s*# @site:(?P<name>[a-z_]+)\s*$")
NAMES = (
    "upstream",
    "listen_http",
    "listen_https",
    "server_name",
    "certificate",
    "certificate_key",
    "static_root",
    "acme_root",
)


@dataclass(frozen=True)
class LoopbackSite:
    """The values a loopback run puts in the marked lines."""

    upstreams: Sequence[int]  # ports of the web processes on 127.0.0.1
    http_port: int
    https_port: int
    certificate: Path
    certificate_key: Path
    static_root: Path = ROOT  # the checkout whose bot/static files nginx serves
    server_name: str = "localhost"
    acme_root: Path = field(default_factory=lambda: Path("/nonexistent-acme"))


def nginx_binary() -> str | None:
    """The nginx binary, or None when it is not installed."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None


def marked_lines(text: str) -> list[tuple[int, str]]:
    """(line number from 0, name) of every ``# @site:NAME`` line."""
    return [(i, m.group("name")) for i, line in enumerate(text.splitlines()) if (m := MARKED.match(line))]


def _params(body: str, keep_from: int) -> str:
    """The words of a directive from ``keep_from`` on (e.g. ``max_fails=1 …``), with a space."""
    words = body.split()[keep_from:]
    return " " + " ".join(words) if words else ""


def _replacement(name: str, body: str, site: LoopbackSite, first: bool) -> list[str]:
    """The directive(s) (without indent and ``;``) replacing one marked line."""
    if name == "upstream":
        return [f"server 127.0.0.1:{port}{_params(body, 2)}" for port in site.upstreams] if first else []
    if name in ("listen_http", "listen_https"):
        port = site.http_port if name == "listen_http" else site.https_port
        return [f"listen 127.0.0.1:{port}{_params(body, 2)}"] if first else []  # no IPv6 line
    if name == "server_name":
        return [f"server_name {site.server_name}"]
    if name in ("certificate", "certificate_key"):
        path = site.certificate if name == "certificate" else site.certificate_key
        directive = "ssl_certificate" if name == "certificate" else "ssl_certificate_key"
        return [f"{directive} {path}"]
    if name == "static_root":
        if SHIPPED_ROOT not in body:
            raise ValueError(f"@site:static_root line without {SHIPPED_ROOT}: {body}")
        return [body.replace(SHIPPED_ROOT, str(site.static_root))]
    if name == "acme_root":
        return [f"root {site.acme_root}"]
    raise ValueError(f"unknown marked line @site:{name}")


def render_site(site: LoopbackSite, text: str | None = None) -> str:
    """The site file with its marked lines replaced for ``site``; every other line kept."""
    text = SITE_FILE.read_text(encoding="utf-8") if text is None else text
    found = {name for _, name in marked_lines(text)}
    if missing := [n for n in NAMES if n not in found]:
        raise ValueError(f"the site file lost its marked lines: {', '.join(missing)}")
    out: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        m = MARKED.match(line)
        if m is None:
            out.append(line)
            continue
        name = m.group("name")
        new = _replacement(name, m.group("body"), site, first=name not in seen)
        seen.add(name)
        out += [f"{m.group('indent')}{directive};  # @site:{name}" for directive in new]
    return "\n".join(out) + "\n"


def self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A throw-away certificate and key for ``host`` and localhost (``openssl``)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=localhost"),
            *("-addext", f"subjectAltName=IP:{host},DNS:localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _user_line() -> str:
    """As root the workers would drop to ``nobody``, who cannot read a test's private temp
    directory: they run as the current user instead (a loopback run only)."""
    if os.geteuid() != 0:
        return ""
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};\n"


def main_conf(prefix: Path, site_path: Path) -> str:
    """A minimal nginx.conf keeping everything (pid, logs, temp files) under ``prefix``."""
    temps = "".join(
        f"    {kind}_temp_path {prefix / 'tmp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"# generated by devtools/nginx_site.py for a loopback run\n{_user_line()}"
        f"daemon off;\nworker_processes 1;\nworker_shutdown_timeout 5s;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\n"
        "events {\n    worker_connections 1024;\n}\n"
        f"http {{\n    include {MIME_TYPES};\n    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'access.log'};\n{temps}    include {site_path};\n}}\n"
    )


def prepare(prefix: Path, site: LoopbackSite, text: str | None = None) -> Path:
    """Write ``site.conf`` (rendered), ``nginx.conf`` and the temp dirs; the main conf's path."""
    prefix = prefix.resolve()
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    site_path = prefix / "site.conf"
    site_path.write_text(render_site(site, text), encoding="utf-8")
    conf = prefix / "nginx.conf"
    conf.write_text(main_conf(prefix, site_path), encoding="utf-8")
    return conf


def _command(prefix: Path, *extra: str) -> list[str]:
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (apt-get install nginx-light)")
    prefix = prefix.resolve()
    return [
        binary,
        "-p",
        f"{prefix}/",
        "-e",
        str(prefix / "error.log"),
        "-c",
        str(prefix / "nginx.conf"),
        *extra,
    ]


def nginx_test(prefix: Path) -> tuple[bool, str]:
    """``nginx -t`` on the configuration :func:`prepare` wrote: (passed, its output)."""
    result = subprocess.run(_command(prefix, "-t"), capture_output=True, text=True, timeout=30)
    return result.returncode == 0, result.stdout + result.stderr


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)


class NginxProcess:
    """nginx in the foreground as a child process, on the site's loopback ports."""

    def __init__(self, prefix: Path, site: LoopbackSite) -> None:
        self.prefix, self.site = prefix.resolve(), site
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        log = (self.prefix / "nginx.out").open("ab")
        # its own process group: a SIGKILL reaches the workers too (they would keep the ports)
        self.proc = subprocess.Popen(_command(self.prefix), stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while not self.listening():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx did not start: {self.error_log()[-2000:]}")
            time.sleep(0.05)

    def listening(self) -> bool:
        return _accepts(self.site.http_port) and _accepts(self.site.https_port)

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGQUIT (graceful: open requests finish, open sockets get 5 s), then SIGKILL to the
        whole group after ``grace`` seconds."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
        return proc.returncode

    def kill(self) -> None:
        """SIGKILL to nginx's master and workers at once (no graceful shutdown)."""
        proc, self.proc = self.proc, None
        if proc is not None:
            _kill_group(proc)

    def __enter__(self) -> NginxProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
