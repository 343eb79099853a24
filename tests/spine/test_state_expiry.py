"""Every state-store write expires (issue 13): the hub's StateStore on SQLite and PostgreSQL,
without and with Redis (values live in the database either way; Redis holds the locks, whose
keys expire too), early receipts, the relay's purge and migration 0007's legacy rows. Time
moves on a ManualClock: absence is never proven by sleeping."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.base import STATE_TTL, EventKind, InboundMessage
from storage.clock import ManualClock, as_utc
from storage.migrate import upgrade
from storage.models import ChannelState, Lease
from storage.record.ingest import ingest_one
from storage.record.receipts import RECEIPT_TTL
from storage.record.state import DbLeases, HubStateStore, purge_dead_leases, purge_expired
from storage.session import SessionMaker, create_engine, make_sessionmaker


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sm(engine: AsyncEngine) -> SessionMaker:
    await upgrade(engine)
    return make_sessionmaker(engine)


@pytest.fixture(params=["database", "redis"])
async def store(
    request: pytest.FixtureRequest, sm: SessionMaker, clock: ManualClock, redis_url: str
) -> AsyncIterator[Any]:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    if request.param == "database":
        yield HubStateStore(sm, clock, prefix=prefix)
        return
    redis = aioredis.from_url(redis_url)
    try:
        yield HubStateStore(sm, clock, prefix=prefix, redis=redis)
    finally:
        await redis.aclose()


async def _rows(sm: SessionMaker) -> dict[str, str]:
    async with sm() as s:
        return {r.key: r.value for r in (await s.execute(select(ChannelState))).scalars()}


async def test_a_value_is_gone_after_its_ttl(
    store: HubStateStore, sm: SessionMaker, clock: ManualClock
) -> None:
    await store.set("zalo:sent:7", '["a"]', ttl=60)
    clock.advance(seconds=59)
    assert await store.get("zalo:sent:7") == '["a"]'
    clock.advance(seconds=1)
    assert await store.get("zalo:sent:7") is None
    # a value whose time ran out cannot be swapped, and makes room for a new one
    assert not await store.compare_and_set("zalo:sent:7", '["a"]', '["b"]', ttl=60)
    assert await store.compare_and_set("zalo:sent:7", None, '["c"]', ttl=60)
    assert await store.get("zalo:sent:7") == '["c"]'
    clock.advance(seconds=60)
    assert await store.get("zalo:sent:7") is None
    assert await purge_expired(sm, clock.now()) == 1
    assert await _rows(sm) == {}


async def test_writing_again_restarts_the_ttl(store: HubStateStore, clock: ManualClock) -> None:
    await store.set("email:cursor", "1:10", ttl=100)
    clock.advance(seconds=90)
    await store.set("email:cursor", "1:11", ttl=100)
    clock.advance(seconds=90)
    assert await store.get("email:cursor") == "1:11"
    assert await store.compare_and_set("email:cursor", "1:11", "1:12", ttl=100)
    clock.advance(seconds=99)
    assert await store.get("email:cursor") == "1:12"


async def test_the_default_ttl_is_long_but_not_forever(store: HubStateStore, clock: ManualClock) -> None:
    await store.set("zalo:oa_tokens", "pair")
    assert await store.compare_and_set("zalo:other", None, "x")
    clock.advance(seconds=STATE_TTL - 1)
    assert (await store.get("zalo:oa_tokens"), await store.get("zalo:other")) == ("pair", "x")
    clock.advance(seconds=1)
    assert (await store.get("zalo:oa_tokens"), await store.get("zalo:other")) == (None, None)


async def test_the_purge_deletes_only_what_ran_out(sm: SessionMaker, clock: ManualClock) -> None:
    store = HubStateStore(sm, clock, prefix="zalo")
    await store.set("short", "1", ttl=10)
    await store.set("long", "2", ttl=1000)
    async with sm() as s, s.begin():  # a row written without expiry (the hub's own keys)
        await s.execute(insert(ChannelState).values(key="console:key", value="k", updated_at=clock.now()))
    clock.advance(seconds=10)
    assert await purge_expired(sm, clock.now()) == 1
    assert await _rows(sm) == {"zalo:long": "2", "console:key": "k"}


async def test_dead_workers_heartbeats_are_purged_an_hour_after_they_ran_out(
    sm: SessionMaker, clock: ManualClock
) -> None:
    leases = DbLeases(sm, clock)
    assert await leases.acquire("worker:killed", "w1", ttl=30)
    assert await leases.acquire("worker:alive", "w2", ttl=30)
    clock.advance(minutes=30)
    assert await leases.acquire("worker:alive", "w2", ttl=30)  # renewed: alive
    assert await purge_dead_leases(sm, clock.now()) == 0  # "killed" ran out, but not an hour ago
    clock.advance(minutes=31)
    assert await leases.acquire("worker:alive", "w2", ttl=3600)
    assert await purge_dead_leases(sm, clock.now()) == 1
    async with sm() as s:
        assert set((await s.execute(select(Lease.name))).scalars()) == {"worker:alive"}
    assert await leases.acquire("worker:killed", "w3", ttl=30)  # the name is free as before


async def test_redis_lock_keys_expire(sm: SessionMaker, clock: ManualClock, redis_url: str) -> None:
    redis = aioredis.from_url(redis_url)
    store = HubStateStore(sm, clock, prefix=f"test-{uuid.uuid4().hex[:8]}", redis=redis)
    try:
        async with store.lock("poll", timeout=5) as got:
            assert got
            keys = [k async for k in redis.scan_iter(match=f"hub1022:{store.prefix}:*")]
            assert len(keys) == 1
            assert 0 < await redis.pttl(keys[0]) <= 30_000  # held at most 30 s without renewal
    finally:
        await redis.aclose()


def _receipt(mid: str) -> InboundMessage:
    return InboundMessage(
        channel="zalo",
        kind=EventKind.DELIVERY,
        external_user_id="u1",
        refers_to=(mid,),
        raw_type="user_received",
    )


async def test_an_unmatched_receipt_expires(sm: SessionMaker, clock: ManualClock) -> None:
    await ingest_one(sm, _receipt("not-ours"), clock)
    async with sm() as s:
        row = (await s.execute(select(ChannelState))).scalar_one()
    assert row.key == "receipt:zalo:not-ours" and as_utc(row.expires_at) == clock.now() + RECEIPT_TTL
    clock.advance(seconds=RECEIPT_TTL.total_seconds() - 1)
    assert await purge_expired(sm, clock.now()) == 0
    clock.advance(seconds=1)
    assert await purge_expired(sm, clock.now()) == 1
    async with sm() as s:
        assert (await s.execute(select(func.count()).select_from(ChannelState))).scalar_one() == 0


@pytest.mark.empty_database
async def test_migration_gives_legacy_short_lived_rows_an_expiry(
    engine: AsyncEngine, clock: ManualClock
) -> None:
    await upgrade(engine, "0006")
    legacy = {
        "receipt:zalo:m1": "delivered",
        "zalo:zalo:sent:4": '["a"]',
        "facebook:facebook:sent:9:0": "mid",
        "email:email:auto-reply:3:dan@example.org": "2026-01-01T00:00:00+00:00|5",
        "zalo:zalo:oa_tokens": "pair",
        "console:prelogin-key": "k",
    }
    async with engine.begin() as conn:
        for key, value in legacy.items():
            await conn.execute(
                insert(ChannelState.__table__).values(key=key, value=value, updated_at=clock.now())
            )
    await upgrade(engine)
    async with make_sessionmaker(engine)() as s:
        rows = {r.key: as_utc(r.expires_at) for r in (await s.execute(select(ChannelState))).scalars()}
    week, two_days = timedelta(days=7), timedelta(days=2)
    for key, ttl in [
        ("receipt:zalo:m1", week),
        ("zalo:zalo:sent:4", week),
        ("facebook:facebook:sent:9:0", week),
        ("email:email:auto-reply:3:dan@example.org", two_days),
    ]:
        expires = rows[key]
        assert expires is not None and timedelta(0) < expires - clock.now() <= ttl + timedelta(minutes=5), key
    assert rows["zalo:zalo:oa_tokens"] is None and rows["console:prelogin-key"] is None
