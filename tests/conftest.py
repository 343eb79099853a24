"""Shared fixtures: real databases (SQLite and PostgreSQL), Redis, and hub apps/processes.

PostgreSQL (127.0.0.1:5432, trust auth) and Redis (127.0.0.1:6379) are required: a test
that needs one fails with a clear message when it is down — it is never skipped.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import settings as hypothesis_settings

from bot.app import create_app
from bot.config import Settings
from devtools.hub_process import HubProcess
from storage.clock import ManualClock
from storage.migrate import upgrade
from storage.session import SessionMaker, create_engine, make_sessionmaker
from tests import hang_report

# property tests check behaviour, not speed: no per-example deadline (Hypothesis's 200 ms
# default fails examples on a loaded 2-core machine; speed is measured in bench/)
hypothesis_settings.register_profile("hub", deadline=None)
hypothesis_settings.load_profile("hub")

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("HUB_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DATABASES = [d for d in os.environ.get("HUB_TEST_DATABASES", "sqlite,postgres").split(",") if d]
# Browser tests drive the pages, whose database work the API tests cover on both databases:
# they run on PostgreSQL (production) only, unless HUB_TEST_BROWSER_DATABASES names more.
BROWSER_DATABASES = os.environ.get("HUB_TEST_BROWSER_DATABASES", "postgres").split(",")


def _pg_dsn(db: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{db}"


async def _pg_exec(sql: str) -> None:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as err:
        pytest.fail(f"PostgreSQL is required for this test and is not reachable at {PG_ADMIN_URL}: {err}")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# Migrating from nothing costs 0.2 s on SQLite and 0.6 s on PostgreSQL, for each of some 700
# database tests: each kind is migrated once per session into a template, and a test gets a
# copy (a file copy; CREATE DATABASE … TEMPLATE, 0.06 s). A test marked ``empty_database``
# gets an empty one (it migrates step by step itself). The template is made by the same
# migrations, so a copy is what ``upgrade`` would have made; test_migrations_match_models
# checks that against the models.
_TEMPLATES: dict[str, str] = {}


async def _migrated_template(kind: str, tmp_root: Path) -> str:
    """The session's migrated template of ``kind``: a SQLite file path or a database name."""
    if kind in _TEMPLATES:
        return _TEMPLATES[kind]
    if kind == "sqlite":
        target = str(tmp_root / "template.sqlite3")
        url = f"sqlite+aiosqlite:///{target}"
    else:
        target = f"hubtest_template_{uuid.uuid4().hex[:12]}"
        await _pg_exec(f'CREATE DATABASE "{target}"')
        url = _pg_dsn(target).replace("postgresql://", "postgresql+asyncpg://")
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()  # no connection left: SQLite's WAL is checkpointed, PG's template free
    if kind == "sqlite":
        wal = await asyncio.to_thread(os.path.exists, target + "-wal")
        assert not wal, "the SQLite template kept a WAL file"
    _TEMPLATES[kind] = target
    return target


def pytest_sessionfinish(session: pytest.Session) -> None:
    name = _TEMPLATES.pop("postgres", None)
    if name is not None:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=DATABASES)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh database, migrated to the head (a copy of the session's template), or empty
    for a test marked ``empty_database``: a SQLite file, or a new PostgreSQL database dropped after.

    Request it (directly or through ``hub_settings``/``hub_app``) BEFORE ``aiohttp_client``:
    fixtures are torn down in reverse order, and a hub whose database is dropped under it
    spends its shutdown retrying."""
    empty = request.node.get_closest_marker("empty_database") is not None
    template = None if empty else await _migrated_template(request.param, tmp_path_factory.getbasetemp())
    if request.param == "sqlite":
        path = tmp_path / "hub.sqlite3"
        if template is not None:
            shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"hubtest_{uuid.uuid4().hex[:12]}"
    await _pg_exec(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://")
    finally:
        await _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def sm(database_url: str) -> AsyncIterator[SessionMaker]:
    """Sessions on a fresh, migrated database (no hub app)."""
    engine = create_engine(database_url)
    await upgrade(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as err:
        pytest.fail(f"Redis is required for this test and is not reachable at {REDIS_URL}: {err}")
    finally:
        await client.aclose()
    yield REDIS_URL


def write_credentials(path: Path, text: str = "webchat:\n  enabled: true\n") -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def hub_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        credentials_file=write_credentials(tmp_path / "credentials.yml"),
        media_dir=tmp_path / "media",
        worker_poll_interval=0.2,
        outbox_base_delay=0.05,
        outbox_max_delay=0.5,
        env={},
    )


@pytest.fixture
def clock() -> ManualClock:
    from datetime import UTC, datetime

    return ManualClock(datetime.now(UTC))


@pytest.fixture
async def hub_app(hub_settings: Settings) -> web.Application:
    return await create_app(hub_settings)


@pytest.fixture
async def client(hub_app: web.Application, aiohttp_client: Any) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(hub_app)
    return client


def settings_with(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)


# --------------------------------------------------------------------------- real hub processes


@pytest.fixture
def hub_process(tmp_path: Path) -> Iterator[Any]:
    started: list[HubProcess] = []

    def make(env: dict[str, str]) -> HubProcess:
        hp = HubProcess(env, tmp_path / f"hub-{len(started)}.log")
        started.append(hp)
        return hp

    yield make
    for hp in started:
        hp.stop()


async def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll an async or sync predicate until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)


async def webchat_session(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with session.post(f"{base}/webchat/api/session", json={}) as r:
        assert r.status == 200
        data: dict[str, Any] = await r.json()
        return data


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A hanging test prints its asyncio tasks before pytest-timeout fails it."""
    with hang_report.watch(item.nodeid):
        return (yield)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests, and the HTTP contract fuzzing (``one_database``), on BROWSER_DATABASES
    only (all tested databases when none of them is): they test the pages and the HTTP layer,
    which the rest of the suite runs on every database."""
    wanted = [d for d in BROWSER_DATABASES if d in DATABASES] or DATABASES
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        db = getattr(getattr(item, "callspec", None), "params", {}).get("database_url")
        browser = any(item.get_closest_marker(m) is not None for m in ("browser", "one_database"))
        (drop if browser and db is not None and db not in wanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
