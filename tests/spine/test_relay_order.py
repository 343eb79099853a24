"""A conversation's replies leave in the order they were queued (message seq), even when
the channel is slow or fails transiently on the first of them, while another conversation's
replies go out meanwhile (SQLite and PostgreSQL), whether the relay is driven pass by pass
or runs with several sends in flight on the channel."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.config import Settings
from connectors.base import EventKind, InboundMessage
from storage.clock import ManualClock
from storage.models import Message, OutboxItem
from storage.record.ingest import ingest_one
from tests.conftest import wait_for
from tests.spine.vendor import Vendor, loopback_hub


class OrderVendor(Vendor):
    """Logs every request and its outcome in arrival order; a message in ``slow`` is
    answered after that many seconds (once), one in ``fail_once`` gets HTTP 500 once."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, int]] = []  # (event, user, message_id)
        self.slow: dict[int, float] = {}
        self.fail_once: set[int] = set()
        self.first_request: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        user, message_id = str(body["user"]), int(body["message_id"])
        self.log.append(("request", user, message_id))
        self.first_request[message_id].set()
        self.got_request.set()
        if message_id in self.slow:
            await asyncio.sleep(self.slow.pop(message_id))  # a slow vendor
        if message_id in self.fail_once:
            self.fail_once.discard(message_id)
            self.log.append(("failed", user, message_id))
            return web.json_response({"error": "busy"}, status=500)
        self.received.append(body)
        self.log.append(("accepted", user, message_id))
        return web.json_response({"id": f"v-{len(self.received)}"})


@pytest.fixture
async def vendor() -> AsyncIterator[OrderVendor]:
    v = await OrderVendor().start()
    yield v
    await v.stop()


@pytest.fixture
async def hub(
    hub_settings: Settings, vendor: OrderVendor, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Any]:
    async with loopback_hub(hub_settings, vendor.url, tmp_path, clock) as hub:
        yield hub


async def _citizen_says(hub: Any, clock: ManualClock, n: int, user: str) -> int:
    event = InboundMessage(
        channel="loopback",
        kind=EventKind.MESSAGE,
        external_user_id=user,
        channel_message_id=f"in-{n}",
        text=f"Câu hỏi số {n}",
    )
    res = await ingest_one(hub.sm, event, clock)
    assert res.conversation_id is not None
    await hub.pipeline.process_conversation(res.conversation_id)
    return res.conversation_id


async def _queued(hub: Any, conversation_id: int) -> list[int]:
    """The conversation's replies, in the order they were queued (seq)."""
    async with hub.sm() as s:
        rows = await s.execute(
            select(Message.id)
            .join(OutboxItem, OutboxItem.message_id == Message.id)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.seq)
        )
        return list(rows.scalars())


async def _all_sent(hub: Any) -> bool:
    async with hub.sm() as s:
        statuses = (
            await s.execute(select(Message.status).join(OutboxItem, OutboxItem.message_id == Message.id))
        ).scalars()
        return all(status == "sent" for status in statuses)


def _assert_in_order(vendor: OrderVendor, user: str, expected: list[int]) -> None:
    """Accepted exactly once each, in seq order, and no reply was even tried before every
    older reply of its conversation had been accepted."""
    accepted = [mid for event, u, mid in vendor.log if event == "accepted" and u == user]
    assert accepted == expected, (user, vendor.log)
    done: set[int] = set()
    for event, u, mid in vendor.log:
        if u != user:
            continue
        if event == "request":
            older = expected[: expected.index(mid)]
            assert set(older) <= done, (user, mid, vendor.log)
        elif event == "accepted":
            done.add(mid)


async def _queue_two_conversations(hub: Any, clock: ManualClock) -> tuple[int, int]:
    """Three questions from u1 and two from u2, interleaved."""
    first = await _citizen_says(hub, clock, 1, "u1")
    second = await _citizen_says(hub, clock, 2, "u2")
    assert await _citizen_says(hub, clock, 3, "u1") == first
    assert await _citizen_says(hub, clock, 4, "u2") == second
    assert await _citizen_says(hub, clock, 5, "u1") == first
    return first, second


async def test_replies_leave_in_order_pass_by_pass(hub: Any, vendor: OrderVendor, clock: ManualClock) -> None:
    first, second = await _queue_two_conversations(hub, clock)
    one, two = await _queued(hub, first), await _queued(hub, second)
    assert len(one) >= 3 and len(two) >= 2
    vendor.slow[one[0]] = 0.3  # the first reply is slow, then fails...
    vendor.fail_once.update({one[0], one[1], two[0]})  # ...and so do others
    for _ in range(30):
        if await _all_sent(hub):
            break
        await hub.relay.run_once()
        clock.advance(seconds=1)  # every retry is due (outbox_max_delay is 0.5 s)
    assert await _all_sent(hub)
    failed = sorted(mid for event, _, mid in vendor.log if event == "failed")
    assert failed == sorted([one[0], one[1], two[0]])  # the faults did happen
    _assert_in_order(vendor, "u1", one)
    _assert_in_order(vendor, "u2", two)


async def test_replies_leave_in_order_with_the_relay_running(
    hub: Any, vendor: OrderVendor, clock: ManualClock
) -> None:
    assert hub.relay.per_channel > 1  # several sends in flight on the one channel
    first, second = await _queue_two_conversations(hub, clock)
    one, two = await _queued(hub, first), await _queued(hub, second)
    vendor.slow[one[0]] = 0.5
    vendor.fail_once.update({one[0], two[0]})
    runner = asyncio.create_task(hub.relay.run())
    try:
        await asyncio.wait_for(vendor.first_request[one[0]].wait(), 10)
        # more replies queued while the first one is in flight
        assert await _citizen_says(hub, clock, 6, "u1") == first
        assert await _citizen_says(hub, clock, 7, "u2") == second
        one, two = await _queued(hub, first), await _queued(hub, second)

        async def settled() -> bool:
            clock.advance(seconds=1)  # retries come due
            hub.relay.notify()
            return await _all_sent(hub)

        await wait_for(settled, timeout=30)
    finally:
        hub.relay.stop()
        await runner
    failed = sorted(mid for event, _, mid in vendor.log if event == "failed")
    assert failed == sorted([one[0], two[0]])  # the faults did happen
    assert len(one) >= 4 and len(two) >= 3
    _assert_in_order(vendor, "u1", one)
    _assert_in_order(vendor, "u2", two)
