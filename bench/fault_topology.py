"""The processes of the production fault run (``bench/faults.py --scenario production``):
a PRIVATE PostgreSQL cluster and a PRIVATE Redis (started here, so restarting them touches
nothing else on the machine), Rasa as its own process, the hub's web and worker processes
(``python -m bot serve --role web|worker``) and nginx in front of the web processes. All on
127.0.0.1; every wait is bounded; :meth:`Topology.close` stops everything it started."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from devtools.net import free_port

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the ``postgres`` user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


async def wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> float:
    """Seconds until 127.0.0.1:``port`` accepts a connection (raises after ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return time.monotonic() - started
        except OSError:
            await asyncio.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class PrivatePostgres:
    """``initdb`` into ``workdir/pg`` and ``pg_ctl`` start/stop/restart on a free port."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "pg"
        self.port = free_port()
        self.log = workdir / "postgres.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60.0) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / args[0]), *args[1:]]),
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        self.log.touch()
        if os.geteuid() == 0:
            for parent in (self.dir.parent, self.dir.parent.parent):  # mkdtemp's are 0700
                parent.chmod(0o711)
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(self.log, "postgres", "postgres")
        self._run("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def _ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(
            "pg_ctl", "-D", str(self.dir), "-l", str(self.log), "-o", opts, "-w", "-t", "60", action, *extra
        )

    def start(self) -> None:
        self._ctl("start")

    def restart(self, mode: str = "fast") -> float:
        """``pg_ctl restart -m mode``; returns the seconds it took (until it accepts again)."""
        started = time.monotonic()
        self._ctl("restart", "-m", mode)
        return time.monotonic() - started

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._ctl("stop", "-m", "immediate")

    def pids(self) -> list[int]:
        """The postmaster and its children (backends, checkpointer, WAL writer...)."""
        try:
            master = int((self.dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return [master, *children(master)]


def children(parent: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                out.append(int(stat.parent.name))
    return out


class PrivateRedis:
    """``redis-server`` on a free port, no persistence; stopped and started again on that port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.log = workdir / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        cmd = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(self.log),
        ]
        self.proc = await asyncio.to_thread(
            subprocess.Popen, cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        await wait_port(self.port, 15, self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def role_flag_supported() -> bool:
    """Whether ``python -m bot serve`` knows ``--role`` (issue 16, being built alongside)."""
    out = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return "--role" in out.stdout


class HubRole:
    """One hub process of a role (``web``, ``worker``; ``all`` before ``--role`` exists). A web
    process listens on its own port (nginx's upstream); a worker listens nowhere."""

    def __init__(self, name: str, role: str, env: dict[str, str], workdir: Path, *, role_flag: bool) -> None:
        self.name, self.role, self.role_flag = name, role, role_flag
        self.listens = role != "worker" or not role_flag
        self.port = free_port() if self.listens else 0
        self.env = {**os.environ, **env, "HUB_HOST": "127.0.0.1", "HUB_PORT": str(self.port or free_port())}
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "bot", "serve"]
        if self.role_flag:
            cmd += ["--role", self.role]
        return cmd + (["--port", str(self.port)] if self.listens else [])

    async def start(self, timeout: float = 120.0) -> float:
        """Start; returns the seconds until it listens (a worker: until it has run 2 s)."""
        self.proc = await asyncio.to_thread(self._spawn)
        if self.listens:
            try:
                return await wait_port(self.port, timeout, self.proc)
            except (RuntimeError, TimeoutError) as err:
                tail = self.log_path.read_text(errors="replace")[-1500:]
                raise RuntimeError(f"{self.name}: {err}; the end of {self.log_path}:\n{tail}") from err
        await asyncio.sleep(2.0)
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: see {self.log_path}")
        return 2.0

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            return subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=log)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def pause(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: no cleanup (as the OOM killer or a power cut would)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
            self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Rasa:
    """``rasa run`` (the hub's own :class:`bot.rasa_process.RasaProcess`) with the trained
    model of the current inputs; killed with SIGKILL and started again like systemd would."""

    def __init__(self, workdir: Path) -> None:
        from bot.rasa_process import inputs_hash, model_path_for, rasa_executable

        self.model = model_path_for(inputs_hash())
        self.available = self.model.exists() and rasa_executable().exists()
        self.port = free_port()
        self.workdir = workdir
        self.process: object | None = None
        self.ready_s: list[float] = []  # each start: seconds until a parse answered

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 300.0) -> float:
        from bot.rasa_process import RasaProcess

        env = {"RASA_TRACKER_DB": str(self.workdir / "rasa-tracker.db")}
        proc = RasaProcess(
            self.model,
            port=self.port,
            extra_env=env,
            run_dir=self.workdir / "rasa",
            log_path=self.workdir / "rasa.log",
        )
        self.process = proc
        started = time.monotonic()
        await proc.start(ready_timeout=timeout)
        self.ready_s.append(time.monotonic() - started)
        return self.ready_s[-1]

    def kill(self) -> int | None:
        """SIGKILL to Rasa's process group; returns the pid killed."""
        pid = getattr(self.process, "pid", None)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        return pid

    async def stop(self) -> None:
        stop = getattr(self.process, "stop", None)
        if stop is not None:
            with contextlib.suppress(Exception):
                await stop(grace=5.0)


def pid_of_peer(port: int, candidates: list[int]) -> int | None:
    """Which of ``candidates`` owns the loopback TCP socket whose local port is ``port`` (the
    client side of a request a simulator is serving): /proc/net/tcp gives the socket's inode,
    /proc/PID/fd the process holding it."""
    inode = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port:
                inode = fields[9]
                break
    if inode is None:
        return None
    for pid in candidates:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
    return None
