"""``serve --role web|worker|all --workers N`` (issue 16), as real processes on PostgreSQL:
web processes store and acknowledge, workers answer and send, woken through the bus; a
killed child of ``--workers N`` is restarted; SQLite refuses several processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from devtools.hub_process import ROOT
from storage.models import ChannelIdentity, Lease
from storage.session import create_engine, make_sessionmaker
from tests.conftest import wait_for, write_credentials
from tests.spine.test_kill_restart import _outbound
from tests.spine.vendor import Vendor

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _env(database_url: str, creds: Path, **more: str) -> dict[str, str]:
    return {
        "HUB_DATABASE_URL": database_url,
        "HUB_CREDENTIALS_FILE": str(creds),
        "HUB_FAQ_SEMANTIC": "false",
        "HUB_ENGINE": "handoff",
        **more,
    }


def _children(parent: int) -> set[int]:
    kids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                kids.add(int(entry.name))
    return kids


def _nice(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[16])


async def _post(base: str, n: int) -> int:
    async with aiohttp.ClientSession() as http:
        r = await http.post(
            f"{base}/webhooks/loopback", json={"user": f"u{n}", "id": f"in-{n}", "text": "Xin chào"}
        )
        return r.status


async def _health(base: str, path: str = "/healthz") -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(base + path) as r:
        return r.status, await r.json()


@pytest.mark.parametrize("bus", ["redis", "listen-notify"])
async def test_web_stores_and_a_worker_woken_through_the_bus_answers(
    database_url: str, bus: str, redis_url: str, tmp_path: Path, hub_process: Any
) -> None:
    """Through Redis, or without it through PostgreSQL LISTEN/NOTIFY."""
    more = {"HUB_REDIS_URL": redis_url} if bus == "redis" else {}
    vendor = await Vendor().start()
    try:
        creds = write_credentials(
            tmp_path / "c.yml", f"loopback:\n  module: tests.spine.loopback_channel\n  url: {vendor.url}\n"
        )
        # the workers' sweep would take a minute: an answer sooner came through the wake-up
        env = _env(database_url, creds, HUB_WORKER_POLL_INTERVAL="60", **more)
        web_proc = hub_process(env)
        web_proc.args = ["--role", "web"]
        web_proc.start()
        assert await _post(web_proc.url, 1) == 200
        assert [m.direction for m in await _outbound(database_url)] == []  # a web process never answers
        status, health = await _health(web_proc.url)
        assert status == 503 and health["checks"]["role"] == "web" and health["checks"]["workers"] == 0
        assert (await _health(web_proc.url, "/livez"))[0] == 200  # still fit to take deliveries

        worker = hub_process(env)
        worker.args = ["--role", "worker"]
        worker.start()
        assert _nice(worker.proc.pid) == os.getpriority(os.PRIO_PROCESS, 0) + 10  # HUB_WORKER_NICE
        # the first message is found by the worker's first sweep at start; the second only by a wake-up
        await wait_for(lambda: len(vendor.received) == 1, timeout=30)
        assert await _post(web_proc.url, 2) == 200
        await wait_for(lambda: len(vendor.received) == 2, timeout=15)
        status, health = await _health(web_proc.url)
        assert status == 200 and health["checks"]["workers"] == 1
    finally:
        await vendor.stop()


async def test_a_killed_web_child_is_restarted_on_the_same_port(
    database_url: str, tmp_path: Path, hub_process: Any
) -> None:
    creds = write_credentials(tmp_path / "c.yml")
    parent = hub_process(_env(database_url, creds))
    parent.args = ["--role", "all", "--workers", "2"]
    parent.start()
    assert parent.proc is not None
    first = await wait_for(lambda: len(kids := _children(parent.proc.pid)) == 2 and kids, timeout=60)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    again = await wait_for(
        lambda: len(kids := _children(parent.proc.pid)) == 2 and victim not in kids and kids, timeout=30
    )
    (newcomer,) = again - first

    # the newcomer takes connections on the shared port: ask until its pid answers
    async def served_by_newcomer() -> bool:
        try:
            status, health = await _health(parent.url)
        except aiohttp.ClientError:
            return False
        return status in (200, 503) and health.get("pid") == newcomer

    await wait_for(served_by_newcomer, timeout=60, interval=0.05)
    parent.proc.send_signal(signal.SIGTERM)
    assert parent.proc.wait(30) == 0
    assert _children(parent.proc.pid) == set()


async def test_several_workers_answer_each_message_once(
    database_url: str, tmp_path: Path, hub_process: Any
) -> None:
    vendor = await Vendor().start()
    try:
        creds = write_credentials(
            tmp_path / "c.yml", f"loopback:\n  module: tests.spine.loopback_channel\n  url: {vendor.url}\n"
        )
        env = _env(database_url, creds, HUB_WORKER_POLL_INTERVAL="0.2")
        web_proc = hub_process(env)
        web_proc.args = ["--role", "web"]
        web_proc.start()
        workers = hub_process(env)
        workers.args = ["--role", "worker", "--workers", "2"]
        workers.start()
        statuses = await asyncio.gather(*(_post(web_proc.url, n) for n in range(20)))
        assert set(statuses) == {200}
        await wait_for(lambda: len(vendor.received) >= 20, timeout=60)
        replies = await _outbound(database_url)
        assert len(replies) == 20 and len(vendor.received) == 20
        assert len({r.conversation_id for r in replies}) == 20
        # twenty new senders: the web process asked no vendor, one of the two workers asked each once
        await wait_for(lambda: len(vendor.profiles_asked) >= 20, timeout=30)
        names = await _names(database_url)
        assert sorted(vendor.profiles_asked) == sorted(f"u{n}" for n in range(20))
        assert names == {f"Công dân u{n}" for n in range(20)}
        assert await _profile_leases(database_url) == 0  # released after: no row left per sender
    finally:
        await vendor.stop()


async def _names(database_url: str) -> set[str | None]:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as s:
            return set((await s.execute(select(ChannelIdentity.display_name))).scalars())
    finally:
        await engine.dispose()


async def _profile_leases(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as s:
            return int(await s.scalar(select(func.count()).where(Lease.name.like("profile:%"))) or 0)
    finally:
        await engine.dispose()


def test_sqlite_refuses_several_processes(tmp_path: Path, database_url: str) -> None:
    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'h.sqlite3'}"}
    for args in (["--workers", "2"], ["--role", "web"]):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "serve", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "SQLite chỉ phục vụ một tiến trình" in done.stderr and "PostgreSQL" in done.stderr
