"""A contact merge takes its locks in the order the pipeline does (conversations, then
contacts): a merge while the bot's commit holds the conversation and fills in its contact
(a ticket's Điều 7.2 fields) waits for it instead of deadlocking. It used to lock the
contacts first; PostgreSQL then broke the deadlock by aborting one side (the console got 503)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.hub import HUB
from storage.models import Contact, Conversation
from tests.conftest import wait_for
from tests.console.dbutil import make_conversation


async def _conversation(app: Any) -> tuple[int, int]:
    hub = app[HUB]
    conv_id = await make_conversation(hub.sm, hub.clock.now(), name="Khách Zalo")
    async with hub.sm() as s:
        conv = await s.get(Conversation, conv_id)
        assert conv is not None
        return conv_id, conv.contact_id


@pytest.mark.one_database  # PostgreSQL's row locks (SQLite serialises writers)
async def test_a_merge_waits_for_the_bots_commit_instead_of_deadlocking(
    people: Any, console_app: Any
) -> None:
    hub = console_app[HUB]
    conv, source = await _conversation(console_app)
    _, target = await _conversation(console_app)
    op = await people("op1")
    assert hub.db.dialect.name == "postgresql", "row locks: run it on PostgreSQL"
    held, go_on = asyncio.Event(), asyncio.Event()

    async def bots_commit() -> None:  # the pipeline's order: the conversation, then its contact
        async with hub.sm() as s, s.begin():
            await s.get(Conversation, conv, with_for_update=True)
            held.set()
            await go_on.wait()
            contact = await s.get(Contact, source, with_for_update=True)
            assert contact is not None
            contact.phone = "0912 345 678"

    async def merge_waits() -> bool:
        async with hub.sm() as s:
            waiting = await s.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
            return int(waiting.scalar_one()) >= 1

    bot = asyncio.create_task(bots_commit())
    await held.wait()
    merge = asyncio.create_task(
        op.post("/console/api/contacts/merge", {"source_id": source, "target_id": target})
    )
    await wait_for(merge_waits, timeout=10)  # the merge waits on a lock the bot holds
    go_on.set()
    await bot  # no deadlock victim here
    status, body = await merge
    assert status == 200, body
    async with hub.sm() as s:
        merged = (await s.execute(select(Contact).where(Contact.id == target))).scalar_one()
        assert merged.phone == "0912 345 678"  # the bot's fill-in, carried over by the merge
