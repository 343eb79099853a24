"""Live events for web-chat sockets and the operator console.

``LocalBus`` serves one worker; ``RedisBus`` (when ``HUB_REDIS_URL`` is set) carries events
between workers, so a browser connected to worker A sees what worker B stored. Events are
hints: clients fill gaps from the database (``after=seq``), so a lost event loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

log = logging.getLogger(__name__)

Event = dict[str, Any]


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def close(self) -> None: ...


class EventBus(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...

    async def subscribe(self, *topics: str) -> Subscription: ...

    async def close(self) -> None: ...


class _LocalSubscription:
    def __init__(self, bus: LocalBus, topics: tuple[str, ...]) -> None:
        self._bus, self._topics = bus, topics
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=1000)

    async def __aiter__(self) -> AsyncIterator[Event]:
        while (event := await self.queue.get()) is not None:
            yield event

    async def close(self) -> None:
        for t in self._topics:
            self._bus.subscribers[t].discard(self)
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


class LocalBus:
    def __init__(self) -> None:
        self.subscribers: defaultdict[str, set[_LocalSubscription]] = defaultdict(set)

    async def publish(self, topic: str, event: Event) -> None:
        for sub in list(self.subscribers.get(topic, ())):
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:  # a stuck client: it will gap-fill from the database
                log.warning("dropping event for a slow subscriber of %s", topic)

    async def subscribe(self, *topics: str) -> Subscription:
        sub = _LocalSubscription(self, topics)
        for t in topics:
            self.subscribers[t].add(sub)
        return sub

    async def close(self) -> None:
        for subs in list(self.subscribers.values()):
            for sub in list(subs):
                await sub.close()


class _RedisSubscription:
    def __init__(self, pubsub: Any) -> None:
        self._pubsub = pubsub

    async def __aiter__(self) -> AsyncIterator[Event]:
        async for item in self._pubsub.listen():
            if item.get("type") != "message":
                continue
            try:
                yield json.loads(item["data"])
            except (ValueError, TypeError):
                log.warning("ignoring a malformed event on %s", item.get("channel"))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._pubsub.unsubscribe()
            await self._pubsub.aclose()


class RedisBus:
    PREFIX = "hub1022:events:"

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    async def publish(self, topic: str, event: Event) -> None:
        await self.redis.publish(self.PREFIX + topic, json.dumps(event, ensure_ascii=False, default=str))

    async def subscribe(self, *topics: str) -> Subscription:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(*(self.PREFIX + t for t in topics))
        return _RedisSubscription(pubsub)

    async def close(self) -> None:
        return None


def conversation_topic(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


QUEUE_TOPIC = "queue"
