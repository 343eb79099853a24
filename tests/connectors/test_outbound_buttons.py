"""A stored reply's buttons reach the channel: ``meta["buttons"]`` (new ``{"title",
"payload"}`` objects and the old plain strings) becomes ``OutboundMessage.quick_replies``,
goes out as Zalo buttons through the simulator, and a tap comes back as the citizen's text.
Real database (SQLite and PostgreSQL), real HTTP on loopback."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from connectors.base import (
    Capabilities,
    EventKind,
    InboundMessage,
    QuickReply,
    stored_quick_replies,
)
from connectors.registry import ConnectorContext, ConnectorRegistry
from connectors.zalo import ZaloConnector, create
from devtools.zalo import ZaloSimulator
from storage.clock import ManualClock
from storage.models import Conversation, OutboxItem
from storage.record.ingest import ingest_one
from storage.record.outbound import add_reply, load_outbound
from storage.session import SessionMaker
from tests.connectors.fakestate import MemoryStateStore
from tests.connectors.zalo.test_signature import Server, serve

CITIZEN = "8063947237857451397"


def test_stored_buttons_old_and_new() -> None:
    stored = [
        {"title": "1. Đăng ký khai sinh", "payload": "1"},
        "2",  # a row written before buttons had titles
        {"payload": "Gặp cán bộ"},  # no title: the payload is shown
        {"title": "Không có payload"},  # the title is what a tap would send
        {"title": "", "payload": " "},
        7,
        None,
    ]
    assert stored_quick_replies(stored) == (
        QuickReply("1. Đăng ký khai sinh", "1"),
        QuickReply("2", "2"),
        QuickReply("Gặp cán bộ", "Gặp cán bộ"),
        QuickReply("Không có payload", "Không có payload"),
    )
    assert stored_quick_replies(None) == stored_quick_replies("1, 2") == ()


def test_capabilities_fit() -> None:
    caps = Capabilities(max_quick_replies=2, quick_reply_title=10, quick_reply_payload=5)
    replies = (
        QuickReply("Một hai ba bốn năm", "1"),
        QuickReply("x", "quá dài"),
        QuickReply("", "3"),
        QuickReply("4", "4"),
    )
    assert caps.fit(replies) == (QuickReply("Một hai…", "1"), QuickReply("3", "3"))
    assert not Capabilities().tap_able and Capabilities().fit(replies) == ()


async def test_each_channel_says_what_it_can_show(sim: ZaloSimulator, session: aiohttp.ClientSession) -> None:
    sections = {"zalo": sim.settings(), "webchat": {}, "facebook": {}}  # facebook: not configured

    def ctx(name: str, section: Any) -> ConnectorContext:
        return ConnectorContext(
            session=session, state=MemoryStateStore(), settings=section, clock=lambda: 0.0
        )

    registry = ConnectorRegistry.build(sections, ctx)
    assert registry.capabilities("zalo") == Capabilities(5, 100, 1000)
    assert registry.capabilities("webchat").tap_able
    assert registry.capabilities("facebook") == Capabilities()  # off: nothing tap-able


# --------------------------------------------------------------------------- through the outbox


@pytest.fixture
async def sim() -> AsyncIterator[ZaloSimulator]:
    async with ZaloSimulator() as simulator:
        simulator.add_user("Lê Thị Mai", user_id=CITIZEN)
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def _reply_with(sm: SessionMaker, clock: ManualClock, buttons: list[Any]) -> int:
    """A citizen wrote; the bot's reply carrying ``buttons`` is queued. Returns the outbox row."""
    event = InboundMessage(
        channel="zalo",
        kind=EventKind.MESSAGE,
        external_user_id=CITIZEN,
        channel_message_id="m1",
        text="khai sinh",
    )
    stored = await ingest_one(sm, event, clock)
    async with sm() as s, s.begin():
        conv = await s.get(Conversation, stored.conversation_id)
        assert conv is not None
        msg = await add_reply(s, conv, "Có phải anh/chị muốn hỏi:", clock.now(), meta={"buttons": buttons})
        await s.flush()
        return msg.id


async def _outbox_item(sm: SessionMaker, message_id: int) -> int:
    async with sm() as s:
        return (
            await s.execute(select(OutboxItem.id).where(OutboxItem.message_id == message_id))
        ).scalar_one()


@pytest.mark.parametrize(
    "buttons",
    [
        [
            {"title": "1. Đăng ký khai sinh cho con", "payload": "1"},
            {"title": "Gặp cán bộ", "payload": "Gặp cán bộ"},
        ],
        ["1", "Gặp cán bộ"],  # the old format
    ],
)
async def test_stored_buttons_go_out_and_a_tap_comes_back(
    sm: SessionMaker,
    sim: ZaloSimulator,
    session: aiohttp.ClientSession,
    aiohttp_server: Server,
    buttons: list[Any],
) -> None:
    clock = ManualClock()
    message_id = await _reply_with(sm, clock, buttons)
    loaded = await load_outbound(sm, await _outbox_item(sm, message_id))
    assert loaded is not None
    _, out = loaded
    assert [q.payload for q in out.quick_replies] == ["1", "Gặp cán bộ"]
    assert out.references == ("m1",)  # the thread it continues (used by e-mail, ignored here)

    connector: ZaloConnector = create(
        ConnectorContext(session=session, state=MemoryStateStore(), settings=sim.settings(), clock=time.time)
    )
    await connector.send(out)
    [sent] = sim.sent
    payload = sent.message["attachment"]["payload"]["buttons"]
    assert [(b["type"], b["payload"]) for b in payload] == [
        ("oa.query.show", "1"),
        ("oa.query.show", "Gặp cán bộ"),
    ]

    endpoint, url = await serve(aiohttp_server, connector)
    assert (await sim.tap(CITIZEN, 1, url=url)).status == 200
    [tap] = endpoint.received
    assert (tap.kind, tap.external_user_id, tap.text) == (EventKind.MESSAGE, CITIZEN, "Gặp cán bộ")
