"""bot.serialize.publish_message: the one way a message reaches its conversation's live views."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.events import LocalBus, conversation_topic
from bot.serialize import message_event, publish_message
from storage.models import Message


async def test_a_message_is_published_on_its_conversations_topic_only() -> None:
    bus = LocalBus()
    mine = await bus.subscribe(conversation_topic(7))
    other = await bus.subscribe(conversation_topic(8))
    msg = Message(
        id=41,
        conversation_id=7,
        seq=3,
        channel="webchat",
        direction="out",
        sender_role="bot",
        text="Xin chào",
        status="sent",
        created_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        meta={},
    )
    await publish_message(bus, msg)
    got = await asyncio.wait_for(anext(aiter(mine)), 1)
    assert got == message_event(msg)
    assert got["type"] == "message" and got["conversation_id"] == 7 and got["message"]["id"] == 41
    await bus.publish(conversation_topic(8), {"type": "marker"})
    assert await asyncio.wait_for(anext(aiter(other)), 1) == {"type": "marker"}  # nothing before it
    await bus.close()
