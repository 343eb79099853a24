"""A hub killed (SIGKILL) between "stored" and "sent" sends the reply after restart; a kill
inside the vendor call is a possible duplicate, logged and counted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from storage.models import Message, OutboxItem
from storage.session import create_engine, make_sessionmaker
from tests.conftest import wait_for, write_credentials
from tests.spine.vendor import Vendor


async def _outbound(database_url: str) -> list[Message]:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as s:
            return list((await s.execute(select(Message).where(Message.direction == "out"))).scalars())
    finally:
        await engine.dispose()


async def test_reply_stored_but_unsent_at_kill_is_sent_after_restart(
    database_url: str, tmp_path: Path, hub_process: Any
) -> None:
    vendor = await Vendor(hang=True).start()
    try:
        creds = write_credentials(
            tmp_path / "creds.yml",
            f"loopback:\n  module: tests.spine.loopback_channel\n  url: {vendor.url}\n",
        )
        env = {
            "HUB_DATABASE_URL": database_url,
            "HUB_CREDENTIALS_FILE": str(creds),
            "HUB_OUTBOX_CLAIM_SECONDS": "2",
            "HUB_WORKER_POLL_INTERVAL": "0.2",
        }
        first = hub_process(env).start()
        async with aiohttp.ClientSession() as http:
            r = await http.post(
                f"{first.url}/webhooks/loopback", json={"user": "u1", "id": "in-1", "text": "Xin chào"}
            )
            assert r.status == 200
        # the relay is now inside send(): the vendor holds the request open
        await asyncio.wait_for(vendor.got_request.wait(), 20)
        first.kill()
        (reply,) = await _outbound(database_url)
        assert reply.status == "queued" and vendor.received == []

        vendor.hang = False
        second = hub_process(env).start()
        await wait_for(lambda: vendor.received, timeout=30)
        assert [r["message_id"] for r in vendor.received] == [reply.id]
        sent = await wait_for(lambda: _sent(database_url), timeout=10)
        assert sent.channel_message_id == "v-1"
        # the first attempt had reached the vendor: the repeat is counted, on the row and in /metrics
        (item,) = await _outbox(database_url)
        assert item.done and item.attempts == 2 and item.possible_duplicates == 1
        async with aiohttp.ClientSession() as http, http.get(f"{second.url}/metrics") as m:
            assert 'hub_outbox_possible_duplicates_total{channel="loopback"} 1' in await m.text()
        second.stop()
    finally:
        await vendor.stop()


async def _outbox(database_url: str) -> list[OutboxItem]:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as s:
            return list((await s.execute(select(OutboxItem))).scalars())
    finally:
        await engine.dispose()


async def _sent(database_url: str) -> Message | None:
    (msg,) = await _outbound(database_url)
    return msg if msg.status == "sent" else None
