"""The outbox relay under faults (issue 10, defects 3, 4 and 6): a database outage right
after a successful send does not send it again; a hanging channel (or conversation) does
not hold up the others; a killed relay's claims free after their short lifetime; an attempt
that started and never recorded its outcome is retried, logged and counted."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.config import Settings
from bot.metrics import Metrics
from bot.relay import Relay
from connectors.base import EventKind, InboundMessage
from storage.clock import ManualClock
from storage.models import Message, OutboxItem
from storage.record.ingest import ingest_one
from storage.session import create_engine, make_sessionmaker
from tests.conftest import wait_for
from tests.spine.db_outage import DbOutage
from tests.spine.loopback_channel import LoopbackConnector
from tests.spine.vendor import Vendor, loopback_hub


class HeldVendor(Vendor):
    """Holds its first send until ``respond`` is set, then answers every send at once."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.respond = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        self.got_request.set()
        if len(self.requests) == 1:
            await self.respond.wait()
        self.received.append(body)
        return web.json_response({"id": f"v-{len(self.requests)}"})


class OtherLoopback(LoopbackConnector):
    name = "loopback2"


@pytest.fixture
async def vendor() -> AsyncIterator[HeldVendor]:
    v = await HeldVendor().start()
    yield v
    await v.stop()


@pytest.fixture
async def hub(
    hub_settings: Settings, vendor: Vendor, outage: DbOutage, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Any]:
    async with loopback_hub(hub_settings, vendor.url, tmp_path, clock, database_url=outage.url) as hub:
        await outage.attach(hub.db)
        yield hub


async def _citizen_says(
    hub: Any, clock: ManualClock, n: int, *, channel: str = "loopback", user: str = "u1"
) -> int:
    event = InboundMessage(
        channel=channel,
        kind=EventKind.MESSAGE,
        external_user_id=user,
        channel_message_id=f"in-{n}",
        text="Xin chào",
    )
    res = await ingest_one(hub.sm, event, clock)
    assert res.conversation_id is not None
    await hub.pipeline.process_conversation(res.conversation_id)
    return res.conversation_id


async def _items(hub: Any) -> list[OutboxItem]:
    async with hub.sm() as s:
        return list((await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars())


async def _status(hub: Any, conversation_id: int) -> str | None:
    async with hub.sm() as s:
        return (
            await s.execute(
                select(Message.status).where(
                    Message.conversation_id == conversation_id, Message.direction == "out"
                )
            )
        ).scalar_one_or_none()


async def test_database_outage_after_a_send_does_not_send_it_again(
    hub: Any, vendor: HeldVendor, outage: DbOutage, clock: ManualClock
) -> None:
    await _citizen_says(hub, clock, 1)
    relay = asyncio.create_task(hub.relay.run_once())
    await asyncio.wait_for(vendor.got_request.wait(), 10)  # the channel has the reply
    await outage.cut()
    vendor.respond.set()  # ...and accepts it while the database is away
    retries = getattr(hub.metrics, "db_retries", {})
    await wait_for(lambda: relay.done() or retries.get("outbox_result", 0) >= 1)
    await outage.restore()
    with contextlib.suppress(Exception):
        await relay
    for _ in range(3):  # later passes, after any claim has run out, find nothing to send
        clock.advance(seconds=130)
        await hub.relay.run_once()
    assert len(vendor.requests) == 1
    (item,) = await _items(hub)
    assert item.done and item.attempts == 1 and item.possible_duplicates == 0
    assert await _status(hub, item.conversation_id) == "sent"


async def test_a_hanging_channel_does_not_hold_up_another_channel(
    hub: Any, vendor: HeldVendor, clock: ManualClock
) -> None:
    fast = await Vendor().start()
    hub.registry.add(OtherLoopback(hub.http, fast.url))
    runner = asyncio.create_task(hub.relay.run())
    try:
        slow_conv = await _citizen_says(hub, clock, 1)  # goes out through the held vendor
        await asyncio.wait_for(vendor.got_request.wait(), 10)
        fast_conv = await _citizen_says(hub, clock, 2, channel="loopback2")
        await wait_for(lambda: _is_sent(hub, fast_conv), timeout=10)
        # the hanging send is still in flight, unrecorded
        assert not vendor.respond.is_set() and vendor.received == []
        assert await _status(hub, slow_conv) == "queued"
        assert len(fast.received) == 1
    finally:
        vendor.respond.set()
        hub.relay.stop()
        await runner
        await fast.stop()
    assert await _status(hub, slow_conv) == "sent"


async def test_a_hanging_conversation_does_not_hold_up_another_on_the_same_channel(
    hub: Any, vendor: HeldVendor, clock: ManualClock
) -> None:
    runner = asyncio.create_task(hub.relay.run())
    try:
        first = await _citizen_says(hub, clock, 1, user="u1")
        await asyncio.wait_for(vendor.got_request.wait(), 10)
        second = await _citizen_says(hub, clock, 2, user="u2")
        await wait_for(lambda: _is_sent(hub, second), timeout=10)
        assert await _status(hub, first) == "queued"
        assert [r["user"] for r in vendor.received] == ["u2"]
    finally:
        vendor.respond.set()
        hub.relay.stop()
        await runner


async def _is_sent(hub: Any, conversation_id: int) -> bool:
    return await _status(hub, conversation_id) == "sent"


async def test_a_killed_relays_claim_frees_after_its_short_lifetime(
    hub: Any, vendor: HeldVendor, database_url: str, clock: ManualClock
) -> None:
    vendor.respond.set()
    await _citizen_says(hub, clock, 1)
    assert await hub.relay.claim()  # a relay claimed the reply and was killed before sending
    db = create_engine(database_url)
    try:
        other = Relay(
            make_sessionmaker(db),
            hub.registry,
            hub.bus,
            clock,
            Metrics(),
            claim_seconds=hub.settings.outbox_claim_seconds,
        )
        assert await other.run_once() == 0
        clock.advance(seconds=15)  # the issue: free again within 15 s
        assert await other.run_once() == 1
    finally:
        await db.dispose()
    assert len(vendor.requests) == 1
    (item,) = await _items(hub)
    assert item.done and item.attempts == 1 and item.possible_duplicates == 0


async def test_an_unfinished_attempt_is_retried_and_counted_as_a_possible_duplicate(
    hub: Any, vendor: HeldVendor, clock: ManualClock
) -> None:
    await _citizen_says(hub, clock, 1)
    killed = asyncio.create_task(hub.relay.run_once())
    await asyncio.wait_for(vendor.got_request.wait(), 10)  # the channel may have it now...
    killed.cancel()  # ...when the relay dies: its outcome is never recorded
    with contextlib.suppress(asyncio.CancelledError):
        await killed
    vendor.respond.set()
    clock.advance(seconds=15)  # the issue: free again within 15 s
    assert await hub.relay.run_once() == 1
    assert len(vendor.requests) == 2
    (item,) = await _items(hub)
    assert item.done and item.attempts == 2 and item.possible_duplicates == 1
    assert hub.metrics.possible_duplicates["loopback"] == 1
    assert 'hub_outbox_possible_duplicates_total{channel="loopback"} 1' in hub.metrics.render({})
