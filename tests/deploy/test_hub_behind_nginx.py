"""Two real web processes (`python -m bot serve --role web`) and a worker on PostgreSQL
behind the shipped nginx site: health through nginx from both web processes (/healthz
degraded until a worker runs, /livez ok throughout), the web chat's WebSocket upgraded end
to end, and the client address the hub records taken from X-Forwarded-For because nginx is
a trusted proxy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from devtools.hub_process import HubProcess
from devtools.nginx_site import LoopbackSite, NginxProcess
from storage.migrate import upgrade
from storage.models_console import LoginAttempt
from storage.session import SessionMaker, create_engine, make_sessionmaker
from tests.conftest import wait_for, write_credentials
from tests.deploy.conftest import PgDatabase, loopback_site

pytestmark = pytest.mark.postgres


@dataclass
class Stack:
    site: LoopbackSite
    webs: list[HubProcess]
    worker: HubProcess
    sm: SessionMaker
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.site.https_port}"


@pytest.fixture
async def stack(nginx_prefix: Path, pg_database: PgDatabase, tmp_path: Path) -> AsyncIterator[Stack]:
    url = await pg_database()
    engine = create_engine(url)
    await upgrade(engine)  # what tongdai1022-migrate.service does before any web process
    env = {
        "HUB_DATABASE_URL": url,
        "HUB_CREDENTIALS_FILE": str(write_credentials(tmp_path / "credentials.yml")),
        "HUB_MEDIA_DIR": str(tmp_path / "media"),
        "HUB_FAQ_EMBEDDINGS": "",
        "HUB_FAQ_SEMANTIC": "false",
        "HUB_NLU": "cues",
        "HUB_TRUSTED_PROXIES": "127.0.0.1,::1",  # as deploy/hub.env.example
        "HUB_SECURE_COOKIES": "true",
    }
    webs = [HubProcess(env, tmp_path / f"web{i}.log", ["--role", "web"]) for i in (1, 2)]
    worker = HubProcess(env, tmp_path / "worker.log", ["--role", "worker"])
    nginx: NginxProcess | None = None
    try:
        for web in webs:
            await asyncio.to_thread(web.start)
        site = loopback_site(nginx_prefix, [w.port for w in webs])
        nginx = NginxProcess(nginx_prefix, site)
        await asyncio.to_thread(nginx.start)
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False), cookie_jar=jar) as http:
            yield Stack(site, webs, worker, make_sessionmaker(engine), http)
    finally:
        if nginx is not None:
            await asyncio.to_thread(nginx.stop)
        for web in [*webs, worker]:
            await asyncio.to_thread(web.stop)
        await engine.dispose()


async def _health(stack: Stack, times: int = 6) -> tuple[set[int], set[str]]:
    """(the pids that answered, the statuses) of ``times`` GET /healthz through nginx."""
    pids, statuses = set(), set()
    for _ in range(times):
        async with stack.http.get(stack.base + "/healthz") as r:
            body = await r.json()
            assert r.status == (200 if body["status"] == "ok" else 503), body
            assert body["checks"]["database"] == "ok" and body["checks"]["role"] == "web"
            pids.add(body["pid"])
            statuses.add(body["status"])
    return pids, statuses


async def _web_chat_socket(stack: Stack) -> None:
    async with stack.http.post(stack.base + "/webchat/api/session", json={}) as r:
        assert r.status == 200
        session = await r.json()
    ws_url = stack.base.replace("https", "wss") + f"/webchat/ws?token={session['session_token']}"
    async with stack.http.ws_connect(ws_url) as ws:
        hello = await ws.receive_json(timeout=10)
        assert hello["type"] == "hello" and hello["conversation_id"] == session["conversation_id"]


async def _failed_login(stack: Stack, username: str, headers: dict[str, str]) -> None:
    async with stack.http.get(stack.base + "/console/api/csrf", headers=headers) as r:
        assert r.status == 200
        csrf = (await r.json())["csrf"]
    body = {"username": username, "password": "sai mật khẩu"}
    async with stack.http.post(
        stack.base + "/console/api/login", json=body, headers={**headers, "X-CSRF-Token": csrf}
    ) as r:
        assert r.status == 401, await r.text()


async def test_web_processes_and_a_worker_behind_nginx(stack: Stack) -> None:
    web_pids = {w.proc.pid for w in stack.webs if w.proc is not None}
    # no worker yet: both web processes say the hub is degraded, and stay in rotation (/livez)
    assert await _health(stack) == (web_pids, {"degraded"})
    for _ in range(2):
        async with stack.http.get(stack.base + "/livez") as r:
            assert r.status == 200 and (await r.json())["status"] == "ok"
    await asyncio.to_thread(stack.worker.start)

    async def healthy() -> bool:
        return (await _health(stack, 2))[1] == {"ok"}

    await wait_for(healthy, timeout=30)
    assert await _health(stack) == (web_pids, {"ok"})  # round robin over both

    await _web_chat_socket(stack)

    await _failed_login(stack, "khach1", {"X-Forwarded-For": "203.0.113.9"})
    await _failed_login(stack, "khach2", {})
    async with stack.sm() as s:
        rows = (await s.execute(select(LoginAttempt.username, LoginAttempt.ip))).all()
    # the address before the hop nginx (trusted) appended; without one, nginx's peer
    assert sorted(rows) == [("khach1", "203.0.113.9"), ("khach2", "127.0.0.1")]
