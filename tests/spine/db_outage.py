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
import contextlib
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host, self.target_port = target_host, target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Future[Any]] = set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        pumps = [
            asyncio.ensure_future(_pump(reader, up_writer)),
            asyncio.ensure_future(_pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            self._tasks.difference_update(pumps)
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


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
