"""Live events between hub processes over PostgreSQL LISTEN/NOTIFY, for sites without Redis.

``PgBus`` implements ``bot.events.EventBus``. All topics share one channel, ``hub1022_events``
(PostgreSQL channel names are identifiers of at most 63 bytes; topics such as
``conversation:123`` are not): a notification carries ``{"o": origin, "t": topic, "e": event}``
and each process hands it to its own subscribers of that topic (``LocalBus``).

* **Own events** go to this process's subscribers at once, not through PostgreSQL (they arrive
  even while the database is down); the notification that comes back is recognised by its
  origin and skipped.
* **One listening connection per process** (``application_name`` ``hub1022-events``), opened
  on the first ``subscribe``. When it drops (database restarted, backend terminated) it
  reconnects with bounded backoff (0.1 s doubling to ``max_backoff``) and LISTENs again; a
  ``SELECT 1`` every ``ping_interval`` seconds finds a connection that died silently. Events
  sent while it was away are lost: they are hints, clients gap-fill from the database.
* **Publishing** uses one dedicated connection (``hub1022-events-publish``), opened on first
  use and opened again when it was closed. A publish never raises: a failure is logged (at most
  every 30 s) and for a short, growing while (0.1 s up to 1 s) later publishes are dropped at
  once instead of each waiting for the database.
* **Payload limit.** NOTIFY takes fewer than 8000 bytes. A larger event (a long message) is
  cut into pieces of at most ``PIECE_BYTES``, all sent by one statement (one transaction:
  delivered together, in order) as ``#<id>:<index>:<count>:<piece>``; the listener joins them
  (pieces of an unfinished event are forgotten after 30 s). An event larger than
  ``MAX_PIECES`` pieces (about 500 kB) is logged and dropped.
* A malformed notification on the channel is logged (rate-limited) and ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bot.local_events import Backoff, Event, LocalBus, Subscription, Throttled

log = logging.getLogger(__name__)

CHANNEL = "hub1022_events"
APPLICATION_NAME = "hub1022-events"
NOTIFY_LIMIT = 8000  # bytes: PostgreSQL rejects a payload of this size or more
PIECE_BYTES = 7900  # a piece's text, leaving room for its "#id:i:n:" header
MAX_PIECES = 64
PIECES_TTL = 30.0

# Query parameters asyncpg's DSN parser knows; any other (SQLAlchemy's own, such as
# prepared_statement_cache_size) would be sent to the server as a setting and refused.
_ASYNCPG_PARAMS = {
    "host", "port", "user", "password", "dbname", "database", "passfile", "service",
    "sslmode", "sslcert", "sslkey", "sslrootcert", "sslnegotiation", "sslcrl", "sslpassword",
    "ssl_min_protocol_version", "ssl_max_protocol_version", "target_session_attrs",
    "krbsrvname", "gsslib",
}  # fmt: skip


def asyncpg_dsn(url: str) -> str:
    """``postgresql+asyncpg://u:p@h/db?ssl=require`` -> ``postgresql://u:p@h/db?sslmode=require``
    (what ``asyncpg.connect`` takes)."""
    u = make_url(url)
    query = dict(u.query)
    if "ssl" in query:
        query.setdefault("sslmode", query.pop("ssl"))
    kept = {k: v for k, v in query.items() if k in _ASYNCPG_PARAMS}
    return u.set(drivername="postgresql", query=kept).render_as_string(hide_password=False)


def split_utf8(data: bytes, size: int) -> list[str]:
    """``data`` (UTF-8) as texts of at most ``size`` bytes, never cutting a character."""
    out: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + size, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte
            end -= 1
        out.append(data[start:end].decode("utf-8"))
        start = end
    return out


def encode(origin: str, topic: str, event: Event) -> list[str]:
    """The notification payloads of one event: one, several pieces, or none (too large)."""
    text = json.dumps({"o": origin, "t": topic, "e": event}, ensure_ascii=False, default=str)
    data = text.encode("utf-8")
    if len(data) < NOTIFY_LIMIT:
        return [text]
    pieces = split_utf8(data, PIECE_BYTES)
    if len(pieces) > MAX_PIECES:
        log.warning("event on %s is %d bytes, over the %d-piece limit: dropped", topic, len(data), MAX_PIECES)
        return []
    key = uuid.uuid4().hex[:16]
    return [f"#{key}:{i}:{len(pieces)}:{piece}" for i, piece in enumerate(pieces)]


class Pieces:
    """Joins the pieces of large events; forgets unfinished ones after ``PIECES_TTL``."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[float, int, dict[int, str]]] = {}

    def add(self, payload: str) -> str | None:
        """The whole event's text once its last piece came; raises ValueError on a bad piece."""
        key, index, count, piece = payload[1:].split(":", 3)
        i, n = int(index), int(count)
        if not 0 <= i < n <= MAX_PIECES:
            raise ValueError(f"piece {i} of {n}")
        now = time.monotonic()
        self._open = {k: v for k, v in self._open.items() if now - v[0] < PIECES_TTL}
        _started, expected, parts = self._open.setdefault(key, (now, n, {}))
        if expected != n:
            raise ValueError(f"piece count {n} != {expected}")
        parts[i] = piece
        if len(parts) < n:
            return None
        del self._open[key]
        return "".join(parts[k] for k in range(n))


def decode(text: str) -> tuple[str, str, Event]:
    """(origin, topic, event) of a notification; raises ValueError when it is not ours."""
    frame = json.loads(text)
    if not isinstance(frame, dict):
        raise ValueError("not an object")
    origin, topic, event = frame.get("o"), frame.get("t"), frame.get("e")
    if not (isinstance(origin, str) and isinstance(topic, str) and isinstance(event, dict)):
        raise ValueError("missing o/t/e")
    return origin, topic, event


class PgBus:
    """``EventBus`` over PostgreSQL LISTEN/NOTIFY (see the module's docstring)."""

    def __init__(
        self,
        database_url: str,
        *,
        channel: str = CHANNEL,
        application_name: str = APPLICATION_NAME,
        timeout: float = 2.0,
        max_backoff: float = 5.0,
        ping_interval: float = 10.0,
    ) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.channel, self.application_name = channel, application_name
        self.timeout, self.max_backoff, self.ping_interval = timeout, max_backoff, ping_interval
        self.origin = uuid.uuid4().hex[:12]
        self.warn = Throttled(log)
        self._local = LocalBus()
        self._pieces = Pieces()
        self._ready = asyncio.Event()  # set while the listener LISTENs
        self._listened = False  # the listener has LISTENed before (a new LISTEN is a comeback)
        self._listener: asyncio.Task[None] | None = None
        self._pub: asyncpg.Connection | None = None
        self._pub_lock = asyncio.Lock()
        self._pub_backoff = Backoff(ceiling=1.0)
        self._retry_at = 0.0

    @property
    def listening(self) -> bool:
        return self._ready.is_set()

    # ------------------------------------------------------------------ publish

    async def publish(self, topic: str, event: Event) -> None:
        self._local.deliver(topic, event)
        try:
            payloads = encode(self.origin, topic, event)
        except (TypeError, ValueError) as err:
            log.warning("event on %s cannot be sent: %r", topic, err)
            return
        if not payloads:
            return
        if time.monotonic() < self._retry_at:
            self.warn.warning("publish", "PostgreSQL unreachable: event on %s not sent", topic)
            return
        try:
            await asyncio.wait_for(self._notify(payloads), self.timeout)
        except Exception as err:  # events are hints: never fail the caller
            self._retry_at = time.monotonic() + self._pub_backoff.failed()
            self.warn.warning("publish", "NOTIFY failed, event on %s not sent: %r", topic, err)
        else:
            self._pub_backoff.reset()

    async def _notify(self, payloads: list[str]) -> None:
        async with self._pub_lock:
            try:
                await self._send(payloads)
            except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
                await self._send(payloads)  # closed under us (database restarted): a new connection

    async def _send(self, payloads: list[str]) -> None:
        """One statement, so the pieces of a large event are one transaction's notifications."""
        conn = await self._publisher()
        try:
            await conn.execute("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", self.channel, payloads)
        except BaseException:  # also a timeout's cancellation: the connection's state is unknown
            if conn is self._pub:
                self._drop_publisher()
            raise

    async def _publisher(self) -> asyncpg.Connection:
        if self._pub is None or self._pub.is_closed():
            settings = {"application_name": f"{self.application_name}-publish"}
            self._pub = await asyncpg.connect(self.dsn, timeout=self.timeout, server_settings=settings)
        return self._pub

    def _drop_publisher(self) -> None:
        if self._pub is not None:
            self._pub.terminate()
            self._pub = None

    # ------------------------------------------------------------------ subscribe

    async def subscribe(self, *topics: str) -> Subscription:
        """Returns once the listener LISTENs (or after ``timeout`` when the database is down:
        the subscription then starts receiving when the listener gets through)."""
        sub = await self._local.subscribe(*topics)
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen_forever(), name="pg-events-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), self.timeout)
        return sub

    async def _listen_forever(self) -> None:
        backoff = Backoff(ceiling=self.max_backoff)
        while True:
            try:
                await self._listen_once(backoff)
                self.warn.warning("lost", "PostgreSQL event listener disconnected, reconnecting")
            except Exception as err:  # any failure: reconnect after a pause
                self.warn.warning("listen", "PostgreSQL event listener failed, retrying: %r", err)
            await asyncio.sleep(backoff.failed())

    async def _listen_once(self, backoff: Backoff) -> None:
        settings = {"application_name": self.application_name}
        conn = await asyncpg.connect(self.dsn, timeout=self.timeout, server_settings=settings)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(self.channel, self._on_notify)
            self._ready.set()
            backoff.reset()
            if self._listened:  # back after a drop: what was notified meanwhile is lost
                self._local.resync()
            self._listened = True
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self.ping_interval)
                if not lost.is_set():
                    await asyncio.wait_for(conn.execute("SELECT 1"), self.timeout)
        finally:
            self._ready.clear()
            conn.terminate()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            text = self._pieces.add(payload) if payload.startswith("#") else payload
            if text is None:
                return
            origin, topic, event = decode(text)
        except (ValueError, TypeError) as err:
            self.warn.warning("malformed", "ignoring a malformed notification on %s: %r", self.channel, err)
            return
        if origin != self.origin:
            self._local.deliver(topic, event)

    async def close(self) -> None:
        if (task := self._listener) is not None:
            self._listener = None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._local.close()
        async with self._pub_lock:
            self._drop_publisher()
