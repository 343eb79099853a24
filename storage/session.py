"""Database engine and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SessionMaker = async_sessionmaker[AsyncSession]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs and pick the async drivers."""
    u = make_url(url)
    if u.drivername in {"postgresql", "postgres"}:
        u = u.set(drivername="postgresql+asyncpg")
    elif u.drivername == "sqlite":
        u = u.set(drivername="sqlite+aiosqlite")
    return u.render_as_string(hide_password=False)


def _sqlite_setup(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, and BEGIN IMMEDIATE so concurrent writers queue instead of
    failing with 'database is locked' halfway through a transaction."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = normalise_url(url)
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection per worker: SQLite has a single writer anyway, and waiting in the
        # pool's queue is far cheaper than SQLite's busy-handler sleeps between connections.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 120)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_setup(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False)


T = TypeVar("T")


async def uncut(work: Awaitable[T], timeout: float) -> T:
    """``work`` (a database transaction) with a time limit for the caller that never cuts the
    transaction short. A transaction cancelled half-way leaves its connection to be dropped by
    the pool while SQLite may still hold that connection's write lock, and every later
    ``BEGIN IMMEDIATE`` then fails with "database is locked". So on a timeout or a
    cancellation the caller stops waiting (``TimeoutError`` / ``CancelledError``) and the
    work ends on its own, in its own task."""
    task = asyncio.ensure_future(work)
    task.add_done_callback(_retrieve)
    # not asyncio.wait_for: on Python 3.11 it returns the result, and loses the cancellation,
    # when the caller is cancelled just as the work ends (a lease keeper then never stopped)
    async with asyncio.timeout(timeout):
        return await asyncio.shield(task)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # seen: a failure after the caller stopped waiting is not "never retrieved"


SEED_LOCK = 1022_0002  # the advisory lock held while seeding a new database (PostgreSQL)


async def one_at_a_time(session: Any, key: int) -> None:
    """Within ``session``'s transaction, wait until no other process holds ``key`` (a
    PostgreSQL advisory lock released at commit); SQLite serialises writers by itself. For
    start-up work that several processes may begin at once (seeding an empty database)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
