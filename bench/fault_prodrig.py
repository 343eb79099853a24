"""The world of the production fault run: :class:`ProdRig` is a :class:`~bench.fault_parts.Rig`
whose hub is the production topology of ``bench/fault_topology.py`` — a private PostgreSQL
cluster and Redis, Rasa, two web processes behind nginx (HTTPS on loopback), and workers —
with the Zalo and Facebook simulators as citizens and receivers of replies."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import yaml

from bench.fault_nginx import Nginx
from bench.fault_parts import Rig, pg_admin, write_faq
from bench.fault_topology import ROOT, HubRole, PrivatePostgres, PrivateRedis, Rasa, role_flag_supported
from bench.fault_vendors import FaultyFacebook, TlsZalo


class ProdRig(Rig):
    """``async with ProdRig(...)``: everything started (web and worker processes last),
    everything stopped at the exit. ``workers``: how many worker processes start."""

    def __init__(self, name: str, workdir: Path, *, workers: int = 2, rasa: bool = True) -> None:
        self.pg = PrivatePostgres(workdir / name)
        self.redis = PrivateRedis(workdir / name)
        super().__init__(name, workdir, pg_admin_url=self.pg.admin_url, redis_url=self.redis.url)
        self.db = "hub"
        self.zalo, self.fb = TlsZalo(), FaultyFacebook()
        self.rasa = Rasa(self.workdir) if rasa else None
        self.role_flag = role_flag_supported()
        self.webs: list[HubRole] = []
        self.workers: list[HubRole] = []
        self.n_workers = workers
        self.nginx: Nginx | None = None
        self.events: list[tuple[float, str]] = []  # (seconds into the run, what happened)
        self.rasa_down: float | None = None  # when Rasa was killed (time.time())
        self.rasa_up: float | None = None  # when its restart answered a parse
        self.windows: list[tuple[float, float, str]] = []  # (start, end, fault), time.time()
        self.setup: list[str] = []  # logged once the run's clock starts

    def log(self, text: str) -> None:
        super().log(text)
        self.events.append((time.time() - self.t0, text))

    async def __aenter__(self) -> ProdRig:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            await asyncio.to_thread(self.pg.init)
            await asyncio.to_thread(self.pg.start)
            await pg_admin(self.pg.admin_url, 'CREATE DATABASE "hub"')
            await self.redis.start()
            await self._start()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    def env(self) -> dict[str, str]:
        creds = {"webchat": {"enabled": True}, "zalo": self.zalo.settings(), "facebook": self.fb.settings()}
        (self.workdir / "credentials.yml").write_text(yaml.safe_dump(creds), encoding="utf-8")
        env = {
            "HUB_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{self.pg.port}/hub",
            "HUB_REDIS_URL": self.redis.url,
            "HUB_CREDENTIALS_FILE": str(self.workdir / "credentials.yml"),
            "HUB_FAQ_PATH": str(write_faq(self.workdir / "faq.csv")),
            "HUB_FAQ_EMBEDDINGS": str(self.workdir / "faq-embeddings.sqlite3"),
            "HUB_MEDIA_DIR": str(self.workdir / "media"),
            "HUB_TRUSTED_PROXIES": "127.0.0.1",
            "HUB_SECURE_COOKIES": "true",
        }
        if self.rasa is not None and self.rasa.available:
            env.update(HUB_NLU="rasa", HUB_RASA_URL=self.rasa.url)
        else:
            env["HUB_NLU"] = "cues"
        return env

    async def _start(self) -> None:
        await self.zalo.start()
        await self.fb.start()
        env = self.env()
        migrate = [sys.executable, "-m", "bot", "migrate"]
        with (self.workdir / "migrate.log").open("ab") as log:
            await asyncio.to_thread(
                subprocess.run,
                migrate,
                cwd=ROOT,
                env={**_environ(), **env},
                stdout=log,
                stderr=log,
                check=True,
                timeout=120,
            )
        if self.rasa is not None and self.rasa.available:
            ready = await self.rasa.start()
            self.setup.append(f"Rasa ready after {ready:.1f} s (model {self.rasa.model.name})")
        elif self.rasa is not None:
            self.setup.append(
                f"Rasa NOT run: no trained model {self.rasa.model.name} (the hub reads acts with cues)"
            )
        web_role = "web" if self.role_flag else "all"
        worker_role = "worker" if self.role_flag else "all"
        self.webs = [
            HubRole(f"web{i}", web_role, env, self.workdir, role_flag=self.role_flag) for i in (1, 2)
        ]
        self.workers = [
            HubRole(f"worker{i}", worker_role, env, self.workdir, role_flag=self.role_flag)
            for i in range(1, self.n_workers + 1)
        ]
        first = await self.webs[0].start()  # alone: it imports the FAQ into the empty database
        rest = await asyncio.gather(*(p.start() for p in [*self.webs[1:], *self.workers]))
        self.nginx = Nginx(self.workdir, [w.port for w in self.webs])
        await self.nginx.start()
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, ssl=False))
        roles = "--role web/worker" if self.role_flag else "--role all (the flag does not exist yet)"
        self.t0 = time.time()
        for line in self.setup:
            self.log(f"set-up: {line}")
        self.log(
            f"{len(self.webs)} web + {len(self.workers)} worker processes ({roles}), first listening "
            f"after {first:.1f} s, the rest {max(rest):.1f} s; nginx {self.nginx.url} ({self.nginx.source})"
        )

    @property
    def processes(self) -> list[HubRole]:
        return [*self.webs, *self.workers]

    async def __aexit__(self, *exc: object) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for proc in self.processes:
            proc.stop()
        if self.rasa is not None:
            await self.rasa.stop()
        for closing in (self.zalo.close(), self.fb.stop()):
            with contextlib.suppress(Exception):
                await closing
        if self._http is not None:
            await self._http.close()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
        self.redis.stop()
        await asyncio.to_thread(self.pg.stop)

    @property
    def url(self) -> str:
        assert self.nginx is not None
        return self.nginx.url

    async def start_hub(self) -> None:
        raise NotImplementedError("the production topology restarts one process at a time")


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)
