"""Transactional outbox: retries with backoff and jitter, a channel's retry time, a bounded
number of attempts ending in ``failed`` with the reason, order within a conversation."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.relay import RetryPolicy
from connectors.base import EventKind, InboundMessage, RateLimited
from storage.clock import ManualClock, as_utc
from storage.models import Message, OutboxItem
from storage.record.ingest import ingest_one
from tests.spine.vendor import Vendor, loopback_hub


@pytest.fixture
async def vendor() -> AsyncIterator[Vendor]:
    v = await Vendor().start()
    yield v
    await v.stop()


@pytest.fixture
async def hub(
    hub_settings: Settings, vendor: Vendor, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Any]:
    async with loopback_hub(hub_settings, vendor.url, tmp_path, clock, outbox_max_attempts=4) as hub:
        yield hub


async def _citizen_says(hub: Any, clock: ManualClock, n: int, text: str) -> None:
    event = InboundMessage(
        channel="loopback",
        kind=EventKind.MESSAGE,
        external_user_id="u1",
        channel_message_id=f"in-{n}",
        text=text,
    )
    res = await ingest_one(hub.sm, event, clock)
    await hub.pipeline.process_conversation(res.conversation_id)


async def _item(hub: Any) -> OutboxItem:
    async with hub.sm() as s:
        return (await s.execute(select(OutboxItem))).scalars().one()


async def _message(hub: Any, message_id: int) -> Message:
    async with hub.sm() as s:
        msg = await s.get(Message, message_id)
        assert msg is not None
        return msg


async def test_reply_is_sent_and_recorded(hub: Any, vendor: Vendor, clock: ManualClock) -> None:
    await _citizen_says(hub, clock, 1, "xin chào")
    assert await hub.relay.run_once() == 1
    item = await _item(hub)
    assert item.done
    msg = await _message(hub, item.message_id)
    assert msg.status == "sent" and msg.channel_message_id == "v-1"
    assert vendor.received[0]["user"] == "u1"


async def test_rate_limit_retry_time_is_honoured_then_sent(
    hub: Any, vendor: Vendor, clock: ManualClock
) -> None:
    vendor.faults.extend(["429"])
    await _citizen_says(hub, clock, 1, "xin chào")
    await hub.relay.run_once()
    item = await _item(hub)
    assert not item.done and item.attempts == 1 and "rate" in (item.last_error or "")
    wait = as_utc(item.next_attempt_at) - clock.now()  # type: ignore[operator]
    assert wait >= timedelta(seconds=7)
    assert await hub.relay.run_once() == 0  # not due yet
    clock.advance(seconds=7.01)
    assert await hub.relay.run_once() == 1
    assert (await _item(hub)).done and len(vendor.received) == 1


async def test_bounded_attempts_end_failed_with_reason(hub: Any, vendor: Vendor, clock: ManualClock) -> None:
    vendor.faults.extend(["500"] * 10)
    await _citizen_says(hub, clock, 1, "xin chào")
    for _ in range(4):
        clock.advance(seconds=600)
        await hub.relay.run_once()
    item = await _item(hub)
    assert item.done and item.attempts == 4
    msg = await _message(hub, item.message_id)
    assert msg.status == "failed" and msg.status_reason == "HTTP 500"
    assert vendor.received == []


async def test_permanent_error_fails_at_once(hub: Any, vendor: Vendor, clock: ManualClock) -> None:
    vendor.faults.append("400")
    await _citizen_says(hub, clock, 1, "xin chào")
    await hub.relay.run_once()
    item = await _item(hub)
    assert item.done and item.attempts == 1
    assert (await _message(hub, item.message_id)).status_reason == "Kênh thử từ chối: HTTP 400"


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=60.0)
    rng = random.Random(1)
    for attempt in range(1, 10):
        ceiling = min(60.0, 2 ** (attempt - 1))
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # jitter spans the range
    assert policy.delay(1, RateLimited("x", retry_after=42), rng) >= 42


async def test_receipt_that_overtakes_the_send_response_is_applied(
    hub: Any, vendor: Vendor, clock: ManualClock
) -> None:
    await _citizen_says(hub, clock, 1, "xin chào")
    receipt = InboundMessage(
        channel="loopback", kind=EventKind.DELIVERY, external_user_id="u1", refers_to=("v-1",)
    )
    await ingest_one(hub.sm, receipt, clock)  # arrives before the relay recorded v-1
    await hub.relay.run_once()
    item = await _item(hub)
    assert (await _message(hub, item.message_id)).status == "delivered"
