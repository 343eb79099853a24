"""A real, short database outage for tests, on either database.

PostgreSQL: the hub connects through a loopback TCP proxy; ``cut()`` drops every open
connection and refuses new ones (the port stops listening), ``restore()`` listens again.

SQLite: ``cut()`` takes the write lock from another connection (``BEGIN EXCLUSIVE``) and
the hub's connection is told to give up after 200 ms (``PRAGMA busy_timeout``) instead of
30 s, so every write fails with "database is locked" until ``restore()``; reads go on
(WAL), as they would with a stuck writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.tcp_proxy import TcpProxy


class DbOutage:
    def __init__(self, database_url: str) -> None:
        self.real_url = database_url
        self.url = database_url  # what the hub must connect to
        self.sqlite = make_url(database_url).get_backend_name() == "sqlite"
        self.proxy: TcpProxy | None = None
        self._lock: sqlite3.Connection | None = None

    async def start(self) -> DbOutage:
        if not self.sqlite:
            u = make_url(self.real_url)
            self.proxy = await TcpProxy(u.host or "127.0.0.1", u.port or 5432).start()
            self.url = u.set(port=self.proxy.port).render_as_string(hide_password=False)
        return self

    async def attach(self, engine: AsyncEngine) -> None:
        """SQLite: the hub's connections wait 200 ms for the lock instead of 30 s."""
        if not self.sqlite:
            return

        @event.listens_for(engine.sync_engine, "connect")
        def _short_busy_timeout(dbapi_conn: Any, _rec: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=200")
            cur.close()

        await engine.dispose()  # connections made from now on get it

    async def cut(self) -> None:
        if self.proxy is not None:
            await self.proxy.cut()
            return
        path = make_url(self.real_url).database
        assert path
        self._lock = await asyncio.to_thread(_exclusive, path)

    async def restore(self) -> None:
        if self.proxy is not None:
            await self.proxy.restore()
            return
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.execute("ROLLBACK")
            lock.close()

    async def close(self) -> None:
        await self.restore()
        if self.proxy is not None:
            await self.proxy.cut()


def _exclusive(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    return conn
