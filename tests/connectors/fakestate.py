"""An in-memory :class:`connectors.base.StateStore` for connector tests.

Several connectors (several "hub workers") may share one :class:`MemoryStateStore`, as
they would share the hub's Redis/database store: ``compare_and_set`` is atomic and
``lock`` is exclusive across everyone holding the same store.

A value written with ``ttl`` is gone ``ttl`` seconds later on ``clock`` (one put straight
into ``values`` never expires).

``lock(name, timeout=...)`` never blocks: it yields ``True`` when this caller got the
lock and ``False`` when someone else holds it (the caller retries later). ``timeout`` is
the lock's time-to-live measured on ``clock`` (as a Redis lock's TTL): a holder that died
without releasing loses the lock after that many seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from connectors.base import STATE_TTL


class MemoryStateStore:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.values: dict[str, str] = {}
        self.expires: dict[str, float] = {}  # key -> when its value is gone (clock seconds)
        self.locks: dict[str, tuple[object, float]] = {}  # name -> (owner token, expiry)
        self.clock = clock
        self._mutex = asyncio.Lock()
        self.lock_log: list[tuple[str, bool]] = []  # (name, acquired) per attempt

    def _forget_expired(self, key: str) -> None:
        if key in self.expires and self.expires[key] <= self.clock():
            self.values.pop(key, None)
            del self.expires[key]

    async def get(self, key: str) -> str | None:
        self._forget_expired(key)
        return self.values.get(key)

    async def set(self, key: str, value: str, *, ttl: float = STATE_TTL) -> None:
        self.values[key] = value
        self.expires[key] = self.clock() + ttl

    async def compare_and_set(
        self, key: str, expected: str | None, value: str, *, ttl: float = STATE_TTL
    ) -> bool:
        async with self._mutex:
            self._forget_expired(key)
            if self.values.get(key) != expected:
                return False
            self.values[key] = value
            self.expires[key] = self.clock() + ttl
            return True

    def lock(self, name: str, *, timeout: float = 30.0) -> AbstractAsyncContextManager[bool]:
        return self._lock(name, ttl=timeout)

    @asynccontextmanager
    async def _lock(self, name: str, *, ttl: float) -> AsyncIterator[bool]:
        token = object()
        now = self.clock()
        held = self.locks.get(name)
        acquired = held is None or held[1] <= now
        self.lock_log.append((name, acquired))
        if acquired:
            self.locks[name] = (token, now + ttl)
        try:
            yield acquired
        finally:
            if acquired and self.locks.get(name, (None, 0.0))[0] is token:
                del self.locks[name]
