"""Live events between processes: PostgreSQL LISTEN/NOTIFY without Redis (``PgBus``), a
Redis bus that outlives a Redis outage, and the rule that picks the bus (``build_bus``).

Real servers only: a fresh PostgreSQL database per test (NOTIFY channels are per database,
so other tests' events never mix in), and for the outage a redis-server of our own on a free
port (the machine's Redis is never stopped)."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from bot.events import LocalBus, RedisBus, Subscription, build_bus
from bot.pg_events import CHANNEL, MAX_PIECES, PIECE_BYTES, PgBus, asyncpg_dsn
from devtools.net import free_port
from tests.conftest import ROOT, _pg_dsn, _pg_exec, wait_for
from tests.spine.db_outage import DbOutage


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    name = f"hubtest_{uuid.uuid4().hex[:12]}"
    await _pg_exec(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://")
    finally:
        await _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


RESYNC = {"type": "resync"}


async def next_event(sub: Subscription, timeout: float = 5.0) -> dict[str, Any]:
    return await asyncio.wait_for(anext(aiter(sub)), timeout)


async def backend_pids(url: str, application_name: str) -> set[int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
            application_name,
        )
        return {r["pid"] for r in rows}
    finally:
        await conn.close()


async def terminate(url: str, pids: set[int]) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for pid in pids:
            assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


# --------------------------------------------------------------------------- PostgreSQL


async def test_two_processes_exchange_live_events_over_listen_notify(pg_url: str) -> None:
    """No Redis: an event published here reaches a subscriber in another process, and back."""
    bus = PgBus(pg_url)
    replies = await bus.subscribe("queue")
    assert bus.listening
    peer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.spine.pg_bus_peer", pg_url,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert peer.stdout is not None
    try:

        async def line() -> Any:
            raw = await asyncio.wait_for(peer.stdout.readline(), 20)  # type: ignore[union-attr]
            assert raw, "the peer process ended"
            return raw.decode().strip() if raw.strip() in (b"ready", b"not listening") else json.loads(raw)

        assert await line() == "ready"
        sent = [{"type": "message", "n": i, "text": f"Xin chào lần {i}"} for i in range(3)]
        await bus.publish("conversation:2", {"type": "message", "n": 99})  # a topic it did not ask for
        for event in sent:
            await bus.publish("conversation:1", event)
        assert [await line() for _ in sent] == sent

        trips = []
        for i in range(5):  # there and back: publish here, the peer publishes an echo
            started = time.perf_counter()
            await bus.publish("conversation:1", {"type": "ping", "n": i, "echo": True})
            echo = await next_event(replies)
            trips.append(time.perf_counter() - started)
            assert echo == {"type": "echo", "of": {"type": "ping", "n": i, "echo": True}}
            assert await line() == {"type": "ping", "n": i, "echo": True}
        print(f"LISTEN/NOTIFY round trips between two processes (ms): {[round(t * 1000, 1) for t in trips]}")

        await bus.publish("conversation:1", {"type": "stop"})
        assert await line() == {"type": "stop"}
        assert await asyncio.wait_for(peer.wait(), 10) == 0
    finally:
        if peer.returncode is None:
            peer.kill()
            await peer.wait()
        await bus.close()


async def test_the_listener_listens_again_after_its_backend_is_terminated(pg_url: str) -> None:
    a = PgBus(pg_url, application_name="evt-a")
    b = PgBus(pg_url, application_name="evt-b")
    try:
        sub = await a.subscribe("conversation:5")
        await b.publish("conversation:5", {"n": 1})
        assert await next_event(sub) == {"n": 1}

        old = await backend_pids(pg_url, "evt-a")
        assert len(old) == 1
        await terminate(pg_url, old | await backend_pids(pg_url, "evt-b-publish"))

        async def listening_again() -> bool:
            pids = await backend_pids(pg_url, "evt-a")
            return bool(pids) and not pids & old and a.listening

        await wait_for(listening_again, timeout=15)
        assert await next_event(sub) == RESYNC  # what was notified meanwhile is lost: read it again
        await b.publish("conversation:5", {"n": 2})  # its own connection was terminated too
        assert await next_event(sub) == {"n": 2}
    finally:
        await a.close()
        await b.close()


async def test_events_flow_again_after_the_database_was_unreachable(pg_url: str) -> None:
    """Through a cuttable proxy: every connection dropped and new ones refused for a while."""
    outage = await DbOutage(pg_url).start()
    a = PgBus(outage.url, application_name="evt-a", max_backoff=0.5)
    b = PgBus(outage.url, application_name="evt-b")
    try:
        sub = await a.subscribe("queue")
        await b.publish("queue", {"n": 1})
        assert await next_event(sub) == {"n": 1}
        await outage.cut()
        await wait_for(lambda: not a.listening, timeout=15)
        started = time.perf_counter()
        await b.publish("queue", {"n": "lost"})  # returns, does not raise
        await b.publish("queue", {"n": "lost"})  # dropped at once for a short while
        assert time.perf_counter() - started < 5
        late = await a.subscribe("queue")  # returns after its timeout; receives once back
        await outage.restore()
        await wait_for(lambda: a.listening, timeout=15)
        await wait_for(lambda: time.monotonic() >= b._retry_at, timeout=5)
        await b.publish("queue", {"n": 2})
        assert [await next_event(sub), await next_event(sub)] == [RESYNC, {"n": 2}]
        assert [await next_event(late), await next_event(late)] == [RESYNC, {"n": 2}]
    finally:
        await a.close()
        await b.close()
        await outage.close()


async def test_a_publish_never_fails_and_own_subscribers_still_get_it_without_a_database() -> None:
    bus = PgBus(f"postgresql+asyncpg://127.0.0.1:{free_port()}/nowhere", timeout=0.5)
    try:
        sub = await asyncio.wait_for(bus.subscribe("queue"), 5)
        assert not bus.listening
        await asyncio.wait_for(bus.publish("queue", {"n": 1}), 5)
        assert await next_event(sub) == {"n": 1}
    finally:
        await bus.close()


async def test_a_large_event_arrives_whole_and_a_huge_one_is_dropped(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = PgBus(pg_url), PgBus(pg_url)
    try:
        sub = await a.subscribe("conversation:9")
        text = "Đề nghị kiểm tra hồ sơ đất đai của tôi. " * 2000  # ~90 kB of UTF-8
        big = {"type": "message", "message": {"text": text, "id": 7}}
        await b.publish("conversation:9", big)
        assert await next_event(sub) == big

        huge = {"type": "message", "message": {"text": "x" * (MAX_PIECES + 1) * PIECE_BYTES}}
        with caplog.at_level(logging.WARNING, logger="bot.pg_events"):
            await b.publish("conversation:9", huge)
        assert "dropped" in caplog.text
        await b.publish("conversation:9", {"type": "after"})
        assert await next_event(sub) == {"type": "after"}  # nothing of the huge one came before
    finally:
        await a.close()
        await b.close()


async def test_malformed_notifications_on_the_channel_are_ignored(pg_url: str) -> None:
    a, b = PgBus(pg_url), PgBus(pg_url)
    try:
        sub = await a.subscribe("t")
        conn = await asyncpg.connect(asyncpg_dsn(pg_url))
        try:
            for payload in ("not json", "[1, 2]", '{"o": "x", "t": "t"}', '{"o": "x", "t": "t", "e": 3}',
                            "#zz:one:2:abc", "#zz:3:2:abc", "#k:0:2:{half"):  # fmt: skip
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        finally:
            await conn.close()
        await b.publish("t", {"good": True})
        assert await next_event(sub) == {"good": True}
        assert a.listening
    finally:
        await a.close()
        await b.close()


def test_a_sqlalchemy_url_becomes_an_asyncpg_dsn() -> None:
    url = "postgresql+asyncpg://hub:p%40ss@db.local:5433/hub?ssl=require&prepared_statement_cache_size=0"
    assert asyncpg_dsn(url) == "postgresql://hub:p%40ss@db.local:5433/hub?sslmode=require"


# --------------------------------------------------------------------------- Redis


class RedisServer:
    """A redis-server of our own, on a port of our own, that the test can stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(["redis-server", *args], stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


async def redis_up(url: str) -> bool:
    client = aioredis.from_url(url)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


async def subscribers(url: str, channel: str) -> int:
    client = aioredis.from_url(url)
    try:
        return int(dict(await client.pubsub_numsub(channel))[channel.encode()])
    finally:
        await client.aclose()


async def test_a_redis_subscription_outlives_a_redis_outage(redis_server: RedisServer) -> None:
    await wait_for(lambda: redis_up(redis_server.url), timeout=10)
    client = aioredis.from_url(redis_server.url)
    bus = RedisBus(client, max_backoff=0.5)
    channel = RedisBus.PREFIX + "queue"
    received: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def consume(name: str, sub: Subscription) -> None:
        async for event in sub:
            await received.put((name, event))

    async def both_get(*events: dict[str, Any]) -> None:
        got = [await asyncio.wait_for(received.get(), 5) for _ in range(2 * len(events))]
        for name in ("before", "during"):
            assert [e for n, e in got if n == name] == list(events)

    subs = [await bus.subscribe("queue")]
    consumers = [asyncio.create_task(consume("before", subs[0]))]
    try:
        await bus.publish("queue", {"n": 1})
        assert await asyncio.wait_for(received.get(), 5) == ("before", {"n": 1})

        redis_server.stop()
        await asyncio.wait_for(bus.publish("queue", {"n": "lost"}), 5)  # logged, not raised
        subs.append(await asyncio.wait_for(bus.subscribe("queue"), 5))  # made during the outage
        consumers.append(asyncio.create_task(consume("during", subs[1])))
        await asyncio.sleep(2)  # the outage's length, during which the subscribers retry
        assert not any(c.done() for c in consumers)
        redis_server.start()
        await wait_for(lambda: redis_up(redis_server.url), timeout=10)

        async def both_subscribed() -> bool:
            return await subscribers(redis_server.url, channel) == 2

        await wait_for(both_subscribed, timeout=15)
        await wait_for(lambda: time.monotonic() >= bus._retry_at, timeout=5)
        await bus.publish("queue", {"n": 2})
        await both_get(RESYNC, {"n": 2})  # each is told it missed events, then gets the new one
        assert received.empty()  # the event published during the outage is lost, nothing else
    finally:
        for sub in subs:
            await sub.close()
        for c in consumers:
            c.cancel()
        await asyncio.gather(*consumers, return_exceptions=True)
        await client.aclose()


# --------------------------------------------------------------------------- the rule


async def test_build_bus_redis_when_configured_else_postgres_else_local(redis_url: str) -> None:
    pg = "postgresql+asyncpg://127.0.0.1:5432/hub"
    client = aioredis.from_url(redis_url)
    try:
        assert isinstance(build_bus(pg, client), RedisBus)
        assert isinstance(build_bus("sqlite+aiosqlite:///var/hub.sqlite3", client), RedisBus)
        assert isinstance(build_bus(pg, None), PgBus)
        assert isinstance(build_bus("postgresql://127.0.0.1/hub", None), PgBus)
        assert isinstance(build_bus("sqlite+aiosqlite:///var/hub.sqlite3", None), LocalBus)
    finally:
        await client.aclose()
