"""Every inbound message is stored once and answered once, even when delivered
concurrently from many tasks (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, select

from bot.hub import HUB
from connectors.base import EventKind, InboundMessage
from storage.models import Conversation, Message, OutboxItem
from storage.record.ingest import ingest_one
from tests.conftest import wait_for


async def test_same_webchat_message_posted_concurrently_is_stored_and_answered_once(client: Any) -> None:
    s = await (await client.post("/webchat/api/session", json={})).json()
    headers = {"Authorization": f"Bearer {s['session_token']}"}
    body = {"client_id": str(uuid.uuid4()), "text": "Hỏi về thủ tục hành chính"}
    responses = await asyncio.gather(
        *(client.post("/webchat/api/messages", headers=headers, json=body) for _ in range(12))
    )
    results = [await r.json() for r in responses]
    assert all(r.status == 200 for r in responses)
    assert len({r["id"] for r in results}) == 1
    assert sorted(r["duplicate"] for r in results) == [False] + [True] * 11
    sm = client.app[HUB].sm

    async def counts() -> tuple[int, int]:
        async with sm() as ses:
            inbound = (await ses.execute(select(func.count()).where(Message.direction == "in"))).scalar_one()
            outbound = (  # replies: the greeting (seq 1) was there before the message
                await ses.execute(select(func.count()).where(Message.direction == "out", Message.seq > 1))
            ).scalar_one()
            return inbound, outbound

    await wait_for(lambda: _has_reply(counts))
    # the worker is done with the conversation (its message answered, its lease free), and
    # one more look at it finds nothing to answer: a second (wrong) answer would be there now
    conv_id = await wait_for(lambda: _answered_and_free(sm))
    await client.app[HUB].pipeline.process_conversation(conv_id)
    assert await counts() == (1, 1)


async def _has_reply(counts: Any) -> bool:
    return bool((await counts())[1] >= 1)


async def _answered_and_free(sm: Any) -> int | None:
    """The conversation whose every citizen message is processed and whose lease is free."""
    async with sm() as ses:
        rows = (
            await ses.execute(
                select(Message.conversation_id, Message.processed, Conversation.processing_by)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.direction == "in")
            )
        ).all()
    if rows and all(processed and holder is None for _, processed, holder in rows):
        return int(rows[0][0])
    return None


async def test_vendor_event_ingested_concurrently_is_one_row(hub_app: Any, clock: Any) -> None:
    """The ingest layer itself, as a webhook uses it: 20 tasks store one Zalo-like event."""
    from storage.migrate import upgrade

    hub = hub_app[HUB]
    await upgrade(hub.db)
    event = InboundMessage(
        channel="zalo",
        kind=EventKind.MESSAGE,
        external_user_id="2468013579246801357",
        channel_message_id="msg-9007199254740993",
        text="tôi muốn hỏi",
    )
    try:
        results = await asyncio.gather(*(ingest_one(hub.sm, event, clock) for _ in range(20)))
        assert len({r.message_id for r in results}) == 1
        assert sum(not r.duplicate for r in results) == 1
        assert sum(r.needs_processing for r in results) == 1
        async with hub.sm() as s:
            assert (await s.execute(select(func.count()).select_from(Message))).scalar_one() == 1
            assert (await s.execute(select(func.count()).select_from(OutboxItem))).scalar_one() == 0
    finally:
        await hub.http.close()
        await hub.db.dispose()


async def test_first_messages_of_a_new_person_open_one_conversation(hub_app: Any, clock: Any) -> None:
    from storage.migrate import upgrade
    from storage.models import Conversation

    hub = hub_app[HUB]
    await upgrade(hub.db)
    events = [
        InboundMessage(
            channel="facebook",
            kind=EventKind.MESSAGE,
            external_user_id="psid-1",
            channel_message_id=f"m{i}",
            text=str(i),
        )
        for i in range(10)
    ]
    try:
        await asyncio.gather(*(ingest_one(hub.sm, e, clock) for e in events))
        async with hub.sm() as s:
            assert (await s.execute(select(func.count()).select_from(Conversation))).scalar_one() == 1
            seqs = sorted((await s.execute(select(Message.seq))).scalars())
            assert seqs == list(range(1, 11))
    finally:
        await hub.http.close()
        await hub.db.dispose()
