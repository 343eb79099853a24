"""The hub's :class:`connectors.base.StateStore`: connector state in the database (every
value with an expiry: reads ignore a row whose time ran out, :func:`purge_expired` deletes
it), locks in Redis when configured (they expire too), else database leases. Also the
leases workers hold while they work: named ones, the pipeline's conversation lease (with its
holder), a heartbeat that keeps a lease alive, and a retry for writes that must outlive a
short database outage."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from connectors.base import STATE_TTL
from storage.clock import Clock, as_utc
from storage.models import ChannelState, Conversation, Lease
from storage.session import SessionMaker, uncut

log = logging.getLogger(__name__)

T = TypeVar("T")


class LeaseLost(Exception):
    """Another worker holds the lease now (ours expired): stop the work it covered."""


def is_transient_db_error(err: BaseException) -> bool:
    """A dropped connection, a refused connect, a lock timeout: worth trying again soon.
    Constraint, data and SQL errors are not (they fail the same way every time)."""
    if isinstance(err, IntegrityError | DataError | ProgrammingError):
        return False
    return isinstance(err, DBAPIError | PoolTimeout | OSError | TimeoutError)


# PostgreSQL aborted the transaction to break a deadlock, or a serializable one conflicted:
# the standard answer is to run the same transaction again.
_CONFLICT_STATES = frozenset({"40P01", "40001"})


def is_lock_conflict(err: BaseException) -> bool:
    """A deadlock or serialization failure the database resolved by aborting this transaction."""
    if not isinstance(err, DBAPIError):
        return False
    orig = err.orig
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code in _CONFLICT_STATES:
            return True
    return False


async def retry_db(
    op: Callable[[], Awaitable[T]],
    *,
    within: float,
    what: str,
    on_retry: Callable[[], None] | None = None,
    first_delay: float = 0.1,
    max_delay: float = 1.0,
    give_up: Callable[[], bool] | None = None,
) -> T:
    """Run ``op`` (one transaction) until it succeeds; transient database errors are retried
    with a growing pause for ``within`` seconds, then the last one is raised. ``give_up``
    (e.g. "the worker is stopping") ends the retries early, for work that can wait."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    delay = first_delay
    while True:
        try:
            return await op()
        except Exception as err:
            if not is_transient_db_error(err) or loop.time() + delay > deadline:
                raise
            if give_up is not None and give_up():
                raise
            log.warning("%s: database unavailable (%s); retrying in %.1f s", what, type(err).__name__, delay)
            if on_retry is not None:
                on_retry()
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


async def keep_alive(renew: Callable[[], Awaitable[bool]], *, ttl: float, every: float, clock: Clock) -> None:
    """Renew a lease every ``every`` seconds while the caller works; return when it is lost:
    someone else holds it (``renew`` says False) or it could not be renewed before it ran
    out (the database was unreachable), so someone else may take it any moment."""
    until = clock.now() + timedelta(seconds=ttl)
    while True:
        await asyncio.sleep(every)
        attempt_at = clock.now()
        try:
            if not await uncut(renew(), timeout=max(every, 1.0)):
                return
            until = attempt_at + timedelta(seconds=ttl)
        except Exception as err:
            if not is_transient_db_error(err):
                raise
            log.warning("lease renewal failed (%s): it runs out at %s", type(err).__name__, until)
            if clock.now() >= until:
                return


async def take_lease(s: AsyncSession, conv_id: int, token: str, now: datetime, ttl: float) -> bool:
    """In the caller's transaction: the conversation's lease for ``token`` (``ttl`` seconds
    from ``now``) when it is free or ran out."""
    res = await s.execute(
        update(Conversation)
        .where(Conversation.id == conv_id)
        .where(or_(Conversation.processing_until.is_(None), Conversation.processing_until < now))
        .values(processing_until=now + timedelta(seconds=ttl), processing_by=token)
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


class ConversationLeases:
    """The pipeline's lease on a conversation: ``processing_until`` and its holder
    ``processing_by`` (one token per acquisition), so renewals and releases only ever touch
    the caller's own lease."""

    def __init__(self, session_maker: SessionMaker, clock: Clock) -> None:
        self.sm, self.clock = session_maker, clock

    async def acquire(self, conv_id: int, token: str, ttl: float) -> bool:
        async with self.sm() as s, s.begin():
            return await take_lease(s, conv_id, token, self.clock.now(), ttl)

    async def renew(self, conv_id: int, token: str, ttl: float) -> bool:
        now = self.clock.now()
        async with self.sm() as s, s.begin():
            res = await s.execute(
                update(Conversation)
                .where(Conversation.id == conv_id, Conversation.processing_by == token)
                .values(processing_until=now + timedelta(seconds=ttl))
            )
            return bool(res.rowcount)  # type: ignore[attr-defined]

    async def release(self, conv_id: int, token: str) -> None:
        async with self.sm() as s, s.begin():
            await s.execute(
                update(Conversation)
                .where(Conversation.id == conv_id, Conversation.processing_by == token)
                .values(processing_until=None, processing_by=None)
            )

    async def holder(self, conv_id: int) -> tuple[str | None, datetime | None]:
        """Who holds the lease and until when (for tests and diagnostics)."""
        async with self.sm() as s:
            row = (
                await s.execute(
                    select(Conversation.processing_by, Conversation.processing_until).where(
                        Conversation.id == conv_id
                    )
                )
            ).one()
            return row[0], as_utc(row[1])


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


def is_live(row: ChannelState, now: datetime) -> bool:
    """The row's value still holds at ``now`` (its expiry, if any, has not passed)."""
    expires = as_utc(row.expires_at)
    return expires is None or expires > now


def _live(now: datetime) -> ColumnElement[bool]:
    return or_(ChannelState.expires_at.is_(None), ChannelState.expires_at > now)


async def purge_expired(session_maker: SessionMaker, now: datetime, *, limit: int = 1000) -> int:
    """Delete up to ``limit`` ``channel_state`` rows whose expiry has passed; how many."""
    async with session_maker() as s, s.begin():
        keys = select(ChannelState.key).where(ChannelState.expires_at <= now).limit(limit)
        res = await s.execute(delete(ChannelState).where(ChannelState.key.in_(keys.scalar_subquery())))
        return int(res.rowcount)  # type: ignore[attr-defined]


DEAD_LEASE_GRACE = timedelta(hours=1)


async def purge_dead_leases(
    session_maker: SessionMaker, now: datetime, *, grace: timedelta = DEAD_LEASE_GRACE, limit: int = 1000
) -> int:
    """Delete up to ``limit`` ``leases`` rows that ran out over ``grace`` ago (the heartbeats
    of workers that were killed or stopped, connectors' locks); how many. A row that ran out
    is free already (:meth:`DbLeases.acquire` takes it), so its absence changes nothing."""
    async with session_maker() as s, s.begin():
        names = select(Lease.name).where(Lease.expires_at <= now - grace).limit(limit)
        res = await s.execute(delete(Lease).where(Lease.name.in_(names.scalar_subquery())))
        return int(res.rowcount)  # type: ignore[attr-defined]


class HubStateStore:
    def __init__(self, session_maker: SessionMaker, clock: Clock, prefix: str, redis: Any = None) -> None:
        self.sm, self.clock, self.prefix, self.redis = session_maker, clock, prefix, redis
        self.leases = DbLeases(session_maker, clock)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def get(self, key: str) -> str | None:
        async with self.sm() as s:
            row = await s.get(ChannelState, self._key(key))
            return row.value if row is not None and is_live(row, self.clock.now()) else None

    async def set(self, key: str, value: str, *, ttl: float = STATE_TTL) -> None:
        now = self.clock.now()
        until = now + timedelta(seconds=ttl)
        async with self.sm() as s, s.begin():
            row = await s.get(ChannelState, self._key(key), with_for_update=True)
            if row is None:
                s.add(ChannelState(key=self._key(key), value=value, updated_at=now, expires_at=until))
            else:
                row.value, row.updated_at, row.expires_at = value, now, until

    async def compare_and_set(
        self, key: str, expected: str | None, value: str, *, ttl: float = STATE_TTL
    ) -> bool:
        k = self._key(key)
        now = self.clock.now()
        until = now + timedelta(seconds=ttl)
        async with self.sm() as s:
            try:
                async with s.begin():
                    if expected is None:
                        # a value whose time ran out is no value: it makes room for this one
                        await s.execute(
                            delete(ChannelState).where(ChannelState.key == k, ChannelState.expires_at <= now)
                        )
                        s.add(ChannelState(key=k, value=value, updated_at=now, expires_at=until))
                        return True
                    res = await s.execute(
                        update(ChannelState)
                        .where(ChannelState.key == k, ChannelState.value == expected, _live(now))
                        .values(value=value, updated_at=now, expires_at=until)
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
