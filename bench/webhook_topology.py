"""The world of ``bench/webhook_bench.py --mode open|saturate``: a fresh PostgreSQL database,
one Redis database (flushed at start), the Zalo and Facebook simulators (they receive the
replies), the dev FAQ imported and activated, then ``--web N`` web processes (each on its own
loopback port) and ``--workers M`` worker processes.

Roles: when ``python -m bot serve --help`` offers ``--role``, web processes run
``serve --role web`` and workers ``serve --role worker``; before the roles exist every process
is a whole hub (``serve``: it acknowledges and answers), and ``--workers`` must be 0.
Workers may run at a lower CPU priority (``nice``) and with their own encoder threads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import yaml
from aiohttp import web

from bench.conversation_data import FAQ_SETS
from devtools.facebook import FacebookSimulator
from devtools.net import free_port
from devtools.zalo import ZaloSimulator

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://127.0.0.1:5432/test"
EMBEDDINGS = str(Path(tempfile.gettempdir()) / "webhook-bench-faq-embeddings.sqlite3")
READY = re.compile(r"full index serving \((\d+) entries\)")


class TimedZalo(ZaloSimulator):
    """The Zalo simulator noting when it accepted each message (``sent_at``, time.time())."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.sent_at: list[float] = []

    async def _send(self, request: web.Request) -> web.Response:
        before = len(self.sent)
        response = await super()._send(request)
        self.sent_at.extend([time.time()] * (len(self.sent) - before))
        return response


@dataclass
class Plan:
    web: int = 1
    workers: int = 0
    faq: str = "dev-public-services"
    redis_url: str = "redis://127.0.0.1:6379/10"
    worker_nice: int = 0
    worker_idle: bool = False  # workers under SCHED_IDLE (chrt --idle 0): only CPU nobody else wants
    worker_threads: str | None = None  # FAQ_ENCODER_THREADS of the workers
    web_threads: str | None = None  # FAQ_ENCODER_THREADS of the web processes
    reuseport: bool = False  # one ``serve --role web --workers N`` on one port
    web_role: str = "web"  # "all": the HTTP processes also answer (the one-process design)
    ready_timeout: float = 240.0
    source: Path = ROOT  # the checkout the hub runs from (see export())


def export(commit: str, into: Path) -> Path:
    """``git archive`` of ``commit`` unpacked in ``into``: the hub runs from a committed tree,
    not from a working tree others are editing."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def roles_supported(source: Path) -> bool:
    command = [sys.executable, "-m", "bot", "serve", "--help"]
    out = subprocess.run(command, cwd=source, capture_output=True, text=True, check=False)
    return "--role" in out.stdout


@dataclass
class Proc:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    port: int | None = None


@dataclass
class Topology:
    plan: Plan
    workdir: Path
    db: str = field(default_factory=lambda: f"hubwebhook_{uuid.uuid4().hex[:8]}")
    zalo: TimedZalo = field(default_factory=TimedZalo)
    fb: FacebookSimulator = field(default_factory=FacebookSimulator)
    procs: list[Proc] = field(default_factory=list)
    roles: bool = False
    conn: asyncpg.Connection | None = None

    @property
    def db_url(self) -> str:
        return f"postgresql+asyncpg://127.0.0.1:5432/{self.db}"

    @property
    def web_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p.port}" for p in self.procs if p.port is not None]

    async def __aenter__(self) -> Topology:
        self.roles = roles_supported(self.plan.source)
        if self.plan.workers and not self.roles:
            raise SystemExit("--workers needs `python -m bot serve --role` (not in this checkout yet)")
        await _admin(f'CREATE DATABASE "{self.db}"')
        try:
            await self._start()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def _start(self) -> None:
        await flush_redis(self.plan.redis_url)
        await self.zalo.start()
        await self.fb.start()
        env = self._env()
        log = self.workdir / "setup.log"
        faq = FAQ_SETS[self.plan.faq] / "faq.csv"
        for step in (["-m", "bot", "migrate"], ["-m", "faq", "import", str(faq), "--activate"]):
            with log.open("ab") as out:
                done = await asyncio.to_thread(
                    subprocess.run,
                    [sys.executable, *step],
                    cwd=self.plan.source,
                    env=env,
                    stdout=out,
                    stderr=out,
                )
            if done.returncode:
                raise SystemExit(f"{' '.join(step)} failed: see {log}")
        # the first process alone first: it seeds the agencies, and processes starting together
        # on an empty database race there (handoff/seed.py, a unique violation ends the loser)
        self._spawn_all(env, first_only=True)
        await asyncio.to_thread(self._wait_ready)
        self._spawn_all(env, first_only=False)
        await asyncio.to_thread(self._wait_ready)
        self.conn = await asyncpg.connect(f"postgresql://127.0.0.1:5432/{self.db}")

    def _env(self) -> dict[str, str]:
        creds = {"zalo": self.zalo.settings(), "facebook": self.fb.settings()}
        path = self.workdir / "credentials.yml"
        path.write_text(yaml.safe_dump(creds), encoding="utf-8")
        return {
            **os.environ,
            "HUB_DATABASE_URL": self.db_url,
            "HUB_REDIS_URL": self.plan.redis_url,
            "HUB_CREDENTIALS_FILE": str(path),
            "HUB_ENGINE": "auto",
            "HUB_NLU": "cues",
            "HUB_LOG_LEVEL": "INFO",
            "HUB_MEDIA_DIR": str(self.workdir / "media"),
            "HF_HUB_OFFLINE": "1",
            "HUB_FAQ_EMBEDDINGS": EMBEDDINGS,  # kept between runs: only the first one encodes
        }

    def _spawn_all(self, env: dict[str, str], *, first_only: bool) -> None:
        wanted: list[tuple[str, list[str], int | None, int, str | None]] = []
        if self.plan.reuseport:
            extra = ["--role", self.plan.web_role, "--workers", str(self.plan.web)]
            wanted.append(("web", extra, free_port(), 0, self.plan.web_threads))
        else:
            role = ["--role", self.plan.web_role] if self.roles else []
            for i in range(self.plan.web):
                wanted.append((f"web{i}", role, free_port(), 0, self.plan.web_threads))
        for i in range(self.plan.workers):
            threads = self.plan.worker_threads
            wanted.append((f"worker{i}", ["--role", "worker"], None, self.plan.worker_nice, threads))
        started = {p.name for p in self.procs}
        for name, extra, port, nice, threads in wanted[:1] if first_only else wanted:
            if name not in started:
                self._spawn(name, extra, env, port, nice=nice, threads=threads)

    def exited(self) -> dict[str, int]:
        """Processes that are no longer running (name -> exit code): the run is not valid."""
        return {p.name: code for p in self.procs if (code := p.proc.poll()) is not None}

    def _spawn(
        self, name: str, extra: list[str], env: dict[str, str], port: int | None,
        *, nice: int = 0, threads: str | None = None,
    ) -> None:  # fmt: skip
        full = dict(env)
        if port is not None:
            full["HUB_PORT"] = str(port)
        else:
            full["HUB_PORT"] = str(free_port())  # a worker that still listens gets a port of its own
        if threads:
            full["FAQ_ENCODER_THREADS"] = threads
        log = self.workdir / f"{name}.log"
        prefix = ["nice", "-n", str(nice)] if nice else []
        if self.plan.worker_idle and name.startswith("worker"):
            prefix = ["chrt", "--idle", "0", *prefix]
        command = [*prefix, sys.executable, "-m", "bot", "serve", *extra]
        with log.open("ab") as out:
            proc = subprocess.Popen(
                command, cwd=self.plan.source, env=full, stdout=out, stderr=subprocess.STDOUT
            )
        self.procs.append(Proc(name, proc, log, port))

    def _wait_ready(self) -> None:
        """Every web port listens and every answering process serves the full FAQ index."""
        deadline = time.monotonic() + self.plan.ready_timeout
        waiting = list(self.procs)
        while waiting and time.monotonic() < deadline:
            for p in list(waiting):
                if p.proc.poll() is not None:
                    raise SystemExit(f"{p.name} exited ({p.proc.returncode}): see {p.log}")
                if self._ready(p):
                    waiting.remove(p)
            time.sleep(0.3)
        if waiting:
            raise SystemExit(f"not ready in {self.plan.ready_timeout:.0f} s: {[p.name for p in waiting]}")

    def _ready(self, p: Proc) -> bool:
        if p.port is not None:
            try:
                with socket.create_connection(("127.0.0.1", p.port), timeout=0.2):
                    pass
            except OSError:
                return False
        # every role loads the FAQ index (web processes too); a supervisor's children share its log
        children = self.plan.web if p.name == "web" else 1
        return len(READY.findall(p.log.read_text(errors="replace"))) >= children

    async def __aexit__(self, *exc: object) -> None:
        for p in self.procs:
            if p.proc.poll() is None:
                p.proc.terminate()
        for p in self.procs:
            try:
                await asyncio.to_thread(p.proc.wait, 20)
            except subprocess.TimeoutExpired:
                p.proc.kill()
        for closing in (self.zalo.close(), self.fb.stop()):
            with contextlib.suppress(Exception):
                await closing
        if self.conn is not None:
            await self.conn.close()
        await _admin(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')

    async def sql(self, query: str) -> list[asyncpg.Record]:
        assert self.conn is not None
        return list(await self.conn.fetch(query))

    def pids(self) -> dict[str, int]:
        """Our processes; a supervisor's children (``--reuseport``) as ``web:PID``."""
        out = {p.name: p.proc.pid for p in self.procs}
        for p in self.procs:
            try:
                children = Path(f"/proc/{p.proc.pid}/task/{p.proc.pid}/children").read_text().split()
            except OSError:
                continue
            out.update({f"{p.name}:{c}": int(c) for c in children})
        return out

    async def all_pids(self) -> dict[str, int]:
        """The hub's processes and the PostgreSQL backends serving its database (``pg:PID``)."""
        assert self.conn is not None
        rows = await self.conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", self.db)
        return {**self.pids(), **{f"pg:{r['pid']}": int(r["pid"]) for r in rows}}

    def describe(self) -> dict[str, Any]:
        return {
            "web": self.plan.web,
            "workers": self.plan.workers,
            "web_role": self.plan.web_role if self.roles else "all (no --role in this checkout)",
            "reuseport": self.plan.reuseport,
            "worker_nice": self.plan.worker_nice,
            "worker_sched_idle": self.plan.worker_idle,
            "worker_encoder_threads": self.plan.worker_threads,
            "faq": self.plan.faq,
        }


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def flush_redis(url: str) -> None:
    """FLUSHDB of the benchmark's own Redis database (the number in ``url``)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
