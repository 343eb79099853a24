"""Live events for web-chat sockets, the operator console and waking workers.

``build_bus`` picks the carrier: ``RedisBus`` when ``HUB_REDIS_URL`` is set; else, on
PostgreSQL, ``PgBus`` (LISTEN/NOTIFY, ``bot/pg_events.py``) carries events between processes;
else (SQLite: one process) ``LocalBus``. Events are hints: clients fill gaps from the database
(``after=seq``), so a lost event loses nothing. A bus never raises to its callers: a publish
that cannot reach Redis or PostgreSQL is logged (at most every ``LOG_EVERY`` seconds) and
dropped, and a subscription whose connection drops reconnects with bounded backoff and keeps
yielding once the server is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from bot.local_events import (
    LOG_EVERY,
    RESYNC_TYPE,
    Backoff,
    Event,
    EventBus,
    LocalBus,
    Subscription,
    Throttled,
    resync_event,
)

__all__ = [
    "LOG_EVERY",
    "QUEUE_TOPIC",
    "RESYNC_TYPE",
    "Backoff",
    "Event",
    "EventBus",
    "LocalBus",
    "RedisBus",
    "Subscription",
    "Throttled",
    "build_bus",
    "conversation_topic",
]
log = logging.getLogger(__name__)


async def _aclose_pubsub(pubsub: Any) -> None:
    with contextlib.suppress(Exception):
        await pubsub.aclose()


class _RedisSubscription:
    """One Redis pub/sub connection; when it drops, a new one subscribes again (bounded backoff)."""

    def __init__(self, bus: RedisBus, channels: tuple[str, ...]) -> None:
        self._bus, self._channels = bus, channels
        self._pubsub: Any = None
        self._closing = asyncio.Event()
        self._backoff = Backoff(ceiling=bus.max_backoff)

    async def connect(self) -> bool:
        pubsub = self._bus.redis.pubsub()
        try:
            await asyncio.wait_for(pubsub.subscribe(*self._channels), self._bus.timeout)
        except Exception as err:  # Redis down: the iterator tries again
            await _aclose_pubsub(pubsub)
            self._bus.warn.warning("subscribe", "Redis subscribe failed, retrying: %r", err)
            return False
        self._pubsub = pubsub
        return True

    async def __aiter__(self) -> AsyncIterator[Event]:
        dropped = False
        while not self._closing.is_set():
            if self._pubsub is None and not await self.connect():
                dropped = True
                await self._pause()
                continue
            if dropped:  # back after a drop: what was published meanwhile is lost
                dropped = False
                yield resync_event()
            try:
                async for item in self._pubsub.listen():
                    self._backoff.reset()
                    if (event := _redis_event(item)) is not None:
                        yield event
            except Exception as err:  # the connection dropped: subscribe again
                if not self._closing.is_set():
                    self._bus.warn.warning("listen", "Redis subscription lost, resubscribing: %r", err)
            pubsub, self._pubsub = self._pubsub, None
            await _aclose_pubsub(pubsub)
            dropped = True
            await self._pause()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), self._backoff.failed())

    async def close(self) -> None:
        self._closing.set()
        if (pubsub := self._pubsub) is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.unsubscribe(), self._bus.timeout)
            await _aclose_pubsub(pubsub)


def _redis_event(item: dict[str, Any]) -> Event | None:
    if item.get("type") != "message":
        return None
    try:
        event = json.loads(item["data"])
    except (ValueError, TypeError):
        event = None
    if not isinstance(event, dict):
        log.warning("ignoring a malformed event on %s", item.get("channel"))
        return None
    return event


class RedisBus:
    PREFIX = "hub1022:events:"

    def __init__(self, redis: Any, *, timeout: float = 2.0, max_backoff: float = 5.0) -> None:
        self.redis, self.timeout, self.max_backoff = redis, timeout, max_backoff
        self.warn = Throttled(log)
        self._backoff = Backoff(ceiling=1.0)
        self._retry_at = 0.0  # publishes are dropped at once until then, after a failure

    async def publish(self, topic: str, event: Event) -> None:
        if time.monotonic() < self._retry_at:
            self.warn.warning("publish", "Redis unreachable: event on %s dropped", topic)
            return
        try:
            data = json.dumps(event, ensure_ascii=False, default=str)
            await asyncio.wait_for(self.redis.publish(self.PREFIX + topic, data), self.timeout)
        except Exception as err:  # events are hints: never fail the caller
            self._retry_at = time.monotonic() + self._backoff.failed()
            self.warn.warning("publish", "Redis publish failed, event on %s dropped: %r", topic, err)
        else:
            self._backoff.reset()

    async def subscribe(self, *topics: str) -> Subscription:
        sub = _RedisSubscription(self, tuple(self.PREFIX + t for t in topics))
        await sub.connect()  # subscribed before returning when Redis is up; else the iterator retries
        return sub

    async def close(self) -> None:
        return None


def build_bus(database_url: str, redis: Any) -> EventBus:
    """Redis when configured; else PostgreSQL LISTEN/NOTIFY on PostgreSQL; else (SQLite: one
    process) ``LocalBus``."""
    if redis is not None:
        return RedisBus(redis)
    from sqlalchemy.engine import make_url

    if make_url(database_url).get_backend_name() in {"postgresql", "postgres"}:
        from bot.pg_events import PgBus

        return PgBus(database_url)
    return LocalBus()


def conversation_topic(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


QUEUE_TOPIC = "queue"
