"""The hub's :class:`connectors.base.StateStore`: connector state in the database, locks in
Redis when configured, else database leases. Also the generic lease used by workers."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.db.models import ChannelState, Lease
from bot.db.session import SessionMaker


class DbLeases:
    """Named leases in the ``leases`` table: whoever holds an unexpired row owns the name."""

    def __init__(self, session_maker: SessionMaker, clock: Clock) -> None:
        self.sm, self.clock = session_maker, clock

    async def acquire(self, name: str, holder: str, ttl: float) -> bool:
        now = self.clock.now()
        until = now + timedelta(seconds=ttl)
        async with self.sm() as s, s.begin():
            res = await s.execute(
                update(Lease)
                .where(Lease.name == name, (Lease.expires_at < now) | (Lease.holder == holder))
                .values(holder=holder, expires_at=until)
            )
            if res.rowcount:  # type: ignore[attr-defined]
                return True
            try:
                async with s.begin_nested():
                    await s.execute(insert(Lease).values(name=name, holder=holder, expires_at=until))
                return True
            except IntegrityError:
                return False

    async def release(self, name: str, holder: str) -> None:
        async with self.sm() as s, s.begin():
            await s.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


class HubStateStore:
    def __init__(self, session_maker: SessionMaker, clock: Clock, prefix: str, redis: Any = None) -> None:
        self.sm, self.clock, self.prefix, self.redis = session_maker, clock, prefix, redis
        self.leases = DbLeases(session_maker, clock)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def get(self, key: str) -> str | None:
        async with self.sm() as s:
            row = await s.get(ChannelState, self._key(key))
            return row.value if row else None

    async def set(self, key: str, value: str) -> None:
        async with self.sm() as s, s.begin():
            row = await s.get(ChannelState, self._key(key), with_for_update=True)
            if row is None:
                s.add(ChannelState(key=self._key(key), value=value, updated_at=self.clock.now()))
            else:
                row.value, row.updated_at = value, self.clock.now()

    async def compare_and_set(self, key: str, expected: str | None, value: str) -> bool:
        k = self._key(key)
        async with self.sm() as s:
            try:
                async with s.begin():
                    if expected is None:
                        s.add(ChannelState(key=k, value=value, updated_at=self.clock.now()))
                        return True
                    res = await s.execute(
                        update(ChannelState)
                        .where(ChannelState.key == k, ChannelState.value == expected)
                        .values(value=value, updated_at=self.clock.now())
                    )
                    return bool(res.rowcount)  # type: ignore[attr-defined]
            except IntegrityError:
                return False

    @contextlib.asynccontextmanager
    async def lock(self, name: str, *, timeout: float = 30.0) -> AsyncIterator[bool]:
        """Block until the cross-worker lock is held (or ``timeout`` passes: yields False)."""
        full = self._key(f"lock:{name}")
        if self.redis is not None:
            lock = self.redis.lock("hub1022:" + full, timeout=max(timeout, 30.0), blocking_timeout=timeout)
            got = bool(await lock.acquire())
            try:
                yield got
            finally:
                if got:
                    with contextlib.suppress(Exception):
                        await lock.release()
            return
        holder = secrets.token_hex(8)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        got = False
        while not (got := await self.leases.acquire(full, holder, max(timeout, 30.0))):
            if loop.time() >= deadline:
                break
            await asyncio.sleep(0.05)
        try:
            yield got
        finally:
            if got:
                await self.leases.release(full, holder)


async def read_all(session_maker: SessionMaker, prefix: str) -> dict[str, str]:
    async with session_maker() as s:
        rows = (await s.execute(select(ChannelState).where(ChannelState.key.like(f"{prefix}:%")))).scalars()
        return {r.key[len(prefix) + 1 :]: r.value for r in rows}
