"""The parts every event bus shares: the ``EventBus`` protocol, ``LocalBus`` (one process's
subscribers, also the local fan-out of ``bot.pg_events.PgBus``), bounded backoff and
rate-limited warnings. ``bot.events`` re-exports them and picks the bus (``build_bus``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

log = logging.getLogger(__name__)

Event = dict[str, Any]
LOG_EVERY = 30.0  # seconds between two warnings of the same kind during an outage


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def close(self) -> None: ...


class EventBus(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...

    async def subscribe(self, *topics: str) -> Subscription: ...

    async def close(self) -> None: ...


class Backoff:
    """Exponential delays from ``first`` to ``ceiling`` seconds; ``reset`` after a success."""

    def __init__(self, first: float = 0.1, ceiling: float = 5.0) -> None:
        self.first, self.ceiling = first, ceiling
        self._next = first

    def failed(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.ceiling)
        return delay

    def reset(self) -> None:
        self._next = self.first


class Throttled:
    """Warnings at most once per ``every`` seconds per kind, with the count of those left out."""

    def __init__(self, logger: logging.Logger, every: float = LOG_EVERY) -> None:
        self._log, self._every = logger, every
        self._last: dict[str, float] = {}
        self._skipped: defaultdict[str, int] = defaultdict(int)

    def warning(self, kind: str, msg: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last.get(kind, -self._every) < self._every:
            self._skipped[kind] += 1
            return
        self._last[kind] = now
        skipped = self._skipped.pop(kind, 0)
        suffix = f" ({skipped} more like this since the last warning)" if skipped else ""
        self._log.warning(msg + suffix, *args, stacklevel=2)


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


RESYNC_TYPE = "resync"


def resync_event() -> Event:
    """Told to every subscriber after its bus connection came back: events published while it
    was away are lost, so a live view reads what it missed from the database."""
    return {"type": RESYNC_TYPE}


class LocalBus:
    """One process's subscribers (also the local fan-out of ``PgBus``)."""

    def __init__(self) -> None:
        self.subscribers: defaultdict[str, set[_LocalSubscription]] = defaultdict(set)

    async def publish(self, topic: str, event: Event) -> None:
        self.deliver(topic, event)

    def deliver(self, topic: str, event: Event) -> None:
        for sub in list(self.subscribers.get(topic, ())):
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:  # a stuck client: it will gap-fill from the database
                log.warning("dropping event for a slow subscriber of %s", topic)

    def resync(self) -> None:
        """Every subscription once (``resync_event``)."""
        for sub in {s for subs in self.subscribers.values() for s in subs}:
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(resync_event())

    async def subscribe(self, *topics: str) -> Subscription:
        sub = _LocalSubscription(self, topics)
        for t in topics:
            self.subscribers[t].add(sub)
        return sub

    async def close(self) -> None:
        for subs in list(self.subscribers.values()):
            for sub in list(subs):
                await sub.close()
