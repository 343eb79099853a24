"""Three hub workers' pollers on one mailbox with the hub's own StateStore (locks in a real
Redis, cursor in a real database): every mail is delivered exactly once."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from connectors.base import InboundMessage
from connectors.email import EmailConnector, create
from connectors.registry import ConnectorContext
from devtools.dovecot import DovecotServer
from devtools.smtp import SmtpServer, send_raw
from storage.clock import SystemClock
from storage.migrate import upgrade
from storage.record.state import HubStateStore
from storage.session import create_engine, make_sessionmaker

from .conftest import HOTLINE, Inbox, email_settings, wait_until

pytestmark = [pytest.mark.dovecot, pytest.mark.redis]


@pytest.fixture
async def hub_stores(tmp_path: Path, redis_url: str) -> AsyncIterator[Any]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}")
    await upgrade(engine)
    sm = make_sessionmaker(engine)
    redis = aioredis.from_url(redis_url)
    prefix = f"email-{uuid.uuid4().hex[:8]}"  # isolates the lock names of this test run

    def make() -> HubStateStore:
        return HubStateStore(sm, SystemClock(), prefix=prefix, redis=redis)

    yield make
    await redis.aclose()
    await engine.dispose()


async def test_one_poller_per_mailbox_with_redis_locks(
    dovecot: DovecotServer, smtp: SmtpServer, hub_stores: Any, http_session: aiohttp.ClientSession
) -> None:
    settings = email_settings(dovecot.port, smtp.port, lock_ttl=2, lock_retry=0.2)
    delivered_by: list[tuple[int, str]] = []
    inbox = Inbox()
    workers: list[EmailConnector] = []
    inside = {"now": 0, "max": 0, "slices": 0}
    for n in range(3):
        ctx = ConnectorContext(session=http_session, state=hub_stores(), settings=settings, clock=time.time)
        worker = create(ctx)

        async def deliver(batch: Sequence[InboundMessage], n: int = n) -> None:
            delivered_by.extend((n, str(m.channel_message_id)) for m in batch)
            await inbox(batch)

        _count_concurrent_slices(worker, inside)
        await worker.start(deliver)
        workers.append(worker)
    try:
        for i in range(1, 9):
            await send_raw(smtp, _mail(i), "nguyen.van.a@example.vn", [HOTLINE])
        await inbox.wait_for(8, timeout=20)
        await wait_until(lambda: inside["slices"] >= 4, what="a few lock slices", timeout=20)
        ids = [mid for _, mid in delivered_by]
        assert sorted(ids) == sorted(f"<redis-{i}@example.vn>" for i in range(1, 9))  # once each
        # never two pollers inside a lock slice at the same time
        assert inside["max"] == 1
    finally:
        for worker in workers:
            await worker.stop()


def _count_concurrent_slices(worker: EmailConnector, inside: dict[str, int]) -> None:
    """Measure how many pollers are polling at once (a slice runs only under the lock)."""
    poller = worker.poller
    original = poller._slice

    async def counted(deliver: Any, deadline: float) -> None:
        inside["now"] += 1
        inside["slices"] += 1
        inside["max"] = max(inside["max"], inside["now"])
        try:
            await original(deliver, deadline)
        finally:
            inside["now"] -= 1

    poller._slice = counted  # type: ignore[method-assign]


def _mail(i: int) -> bytes:
    return (
        f"From: a@example.vn\r\nTo: {HOTLINE}\r\nSubject: thư {i}\r\nMessage-ID: <redis-{i}@example.vn>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nxin chào\r\n"
    ).encode()
