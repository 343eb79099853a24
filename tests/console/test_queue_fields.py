"""The queue's unread counts and SLA colours, read receipts in the conversation's messages,
and the operator's typing indicator (sent where the channel has one: Facebook; a no-op on
the web chat)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.console.conversation_views import SlaLimits
from bot.events import conversation_topic
from bot.hub import HUB
from connectors.base import SenderRole
from connectors.facebook import create as create_facebook
from connectors.registry import ConnectorContext
from devtools.clock import FakeClock
from devtools.facebook import FacebookSimulator, Fault
from storage.models import ChannelIdentity, Conversation, Direction, Message
from storage.record.outbound import add_note, add_reply
from storage.record.sequence import next_seq
from tests.conftest import wait_for
from tests.connectors.fakestate import MemoryStateStore
from tests.console.conftest import T0, agency_id_of, new_ticket
from tests.console.dbutil import make_conversation

PSID = "24968543211234567"


@pytest.fixture
def console_clock() -> FakeClock:  # the console's app runs on a clock the test moves
    return FakeClock(T0.timestamp())


async def _citizen_says(s: Any, conv: Conversation, text: str, now: datetime) -> None:
    s.add(
        Message(
            conversation_id=conv.id,
            seq=await next_seq(s, conv.id, now),
            channel=conv.channel,
            direction=Direction.INBOUND.value,
            sender_role=SenderRole.CITIZEN.value,
            text=text,
            status="delivered",
            processed=True,
            created_at=now,
            updated_at=now,
        )
    )
    await s.flush()


async def _item(op: Any, conv_id: int) -> dict[str, Any]:
    status, q = await op.get("/console/api/queue")
    assert status == 200
    (item,) = [c for lane in ("waiting", "mine", "others") for c in q[lane] if c["id"] == conv_id]
    return dict(item)


async def test_unread_counts_citizen_messages_after_the_last_reply_not_notes(
    people: Any, console_app: Any
) -> None:
    hub = console_app[HUB]
    now = hub.clock.now()
    replied = await make_conversation(hub.sm, now, name="Đã trả lời")
    silent = await make_conversation(hub.sm, now, name="Chưa ai trả lời")
    quiet = await make_conversation(hub.sm, now, name="Không tin mới")
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, replied)
        assert conv is not None
        await _citizen_says(s, conv, "Cho hỏi", now)
        await add_reply(s, conv, "Trợ lý ảo xin trả lời", now, role=SenderRole.BOT)
        await _citizen_says(s, conv, "Chưa rõ", now)
        await _citizen_says(s, conv, "Gặp cán bộ", now)
        await add_note(s, conv, "Ghi chú nội bộ", now, role=SenderRole.OPERATOR)
        await _citizen_says(s, conv, "Alo?", now)
        other = await s.get(Conversation, silent)
        assert other is not None
        await _citizen_says(s, other, "Một", now)
        await _citizen_says(s, other, "Hai", now)
        last = await s.get(Conversation, quiet)
        assert last is not None
        await _citizen_says(s, last, "Xin chào", now)
        await add_reply(s, last, "Chào anh", now, role=SenderRole.BOT)
    op = await people("op1")
    assert (await _item(op, replied))["unread"] == 3
    assert (await _item(op, silent))["unread"] == 2
    assert (await _item(op, quiet))["unread"] == 0

    # an operator's reply reads them all
    assert (await op.post(f"/console/api/conversations/{replied}/take"))[0] == 200
    assert (await op.post(f"/console/api/conversations/{replied}/reply", {"text": "Chào anh"}))[0] == 200
    item = await _item(op, replied)
    assert item["unread"] == 0 and item["state"] == "human"
    _, detail = await op.get(f"/console/api/conversations/{silent}")
    assert detail["conversation"]["unread"] == 2

    # read receipts: every outbound message carries its delivery status
    async def delivered() -> list[dict[str, Any]] | None:
        _, d = await op.get(f"/console/api/conversations/{replied}")
        outs = [m for m in d["messages"] if m["direction"] == "out"]
        return outs if outs and all(m["status"] == "delivered" for m in outs) else None

    outs = await wait_for(delivered)
    assert {m["text"] for m in outs} == {"Trợ lý ảo xin trả lời", "Chào anh"}


async def test_sla_colour_follows_the_waiting_time(
    people: Any, console_app: Any, console_clock: FakeClock
) -> None:
    hub = console_app[HUB]
    conv_id = await make_conversation(hub.sm, hub.clock.now())
    op = await people("op1")
    seen = []
    for waited in (0, 119, 120, 299, 300, 3600):
        console_clock.seconds = T0.timestamp() + waited
        item = await _item(op, conv_id)
        assert item["waiting_seconds"] == waited
        seen.append(item["sla"])
    assert seen == ["ok", "ok", "warn", "warn", "late", "late"]
    assert SlaLimits(10, 20).of(None) == "ok"


def test_the_thresholds_are_settings() -> None:
    default = Settings.from_env({})
    assert (default.queue_warn_seconds, default.queue_late_seconds) == (120, 300)
    custom = Settings.from_env({"HUB_QUEUE_WARN_SECONDS": "60", "HUB_QUEUE_LATE_SECONDS": "90"})
    assert (custom.queue_warn_seconds, custom.queue_late_seconds) == (60, 90)
    assert Settings.from_env({"HUB_QUEUE_WARN_SECONDS": "600"}).queue_late_seconds == 600
    for bad in (
        {"HUB_QUEUE_WARN_SECONDS": "0"},
        {"HUB_QUEUE_WARN_SECONDS": "60", "HUB_QUEUE_LATE_SECONDS": "30"},
    ):
        with pytest.raises(ValueError):
            Settings.from_env(bad)


async def test_typing_on_the_web_chat_is_told_live_but_sent_nowhere(people: Any, console_app: Any) -> None:
    hub = console_app[HUB]
    conv_id = await make_conversation(hub.sm, hub.clock.now())
    op, other, yte = await people("op1"), await people("op2"), await people("yte1")
    path = f"/console/api/conversations/{conv_id}/typing"
    status, body = await op.post(path, {"on": True})
    assert status == 409  # not taken yet
    assert (await op.post(f"/console/api/conversations/{conv_id}/take"))[0] == 200
    sub = await hub.bus.subscribe(conversation_topic(conv_id))
    try:
        status, body = await op.post(path, {"on": True})
        assert (status, body) == (200, {"ok": True, "sent": False})
        event = await asyncio.wait_for(anext(aiter(sub)), 5)
    finally:
        await sub.close()
    assert event == {"type": "typing", "conversation_id": conv_id, "on": True}
    assert (await other.post(path, {"on": True}))[0] == 409  # a colleague does not hold it
    assert (await yte.post(path, {"on": True}))[0] == 403
    assert (await op.post(path, {"on": "yes"}))[0] == 400
    assert (await op.post(path, {"on": True}, csrf=""))[0] == 403
    assert (await op.post("/console/api/conversations/999999/typing", {"on": True}))[0] == 404


@pytest.fixture
async def facebook_sim() -> AsyncIterator[FacebookSimulator]:
    sim = FacebookSimulator(
        page_id="1022000000000001", app_id="900000000000001", clock=FakeClock(T0.timestamp())
    )
    await sim.start()
    sim.add_user(PSID)
    try:
        yield sim
    finally:
        await sim.stop()


async def test_typing_on_facebook_reaches_the_vendor_and_its_failure_is_no_error(
    people: Any, console_app: Any, facebook_sim: FacebookSimulator
) -> None:
    hub = console_app[HUB]
    async with aiohttp.ClientSession() as http:
        connector = create_facebook(
            ConnectorContext(
                session=http,
                state=MemoryStateStore(),
                settings={**facebook_sim.settings(), "app_id": "900000000000001", "timeout": 1.0},
                clock=FakeClock(T0.timestamp()),
            )
        )
        hub.registry.add(connector)
        conv_id = await make_conversation(hub.sm, hub.clock.now(), channel="facebook")
        async with hub.sm() as s, s.begin():
            conv = await s.get(Conversation, conv_id)
            assert conv is not None
            ident = await s.get(ChannelIdentity, conv.identity_id)
            assert ident is not None
            ident.external_id = PSID
        op = await people("op1")
        assert (await op.post(f"/console/api/conversations/{conv_id}/take"))[0] == 200
        path = f"/console/api/conversations/{conv_id}/typing"
        assert await op.post(path, {"on": True}) == (200, {"ok": True, "sent": True})
        assert await op.post(path, {"on": False}) == (200, {"ok": True, "sent": True})
        assert facebook_sim.actions == [(PSID, "typing_on"), (PSID, "typing_off")]
        # Facebook refuses: logged, the operator's console carries on
        facebook_sim.fail_next(Fault.SERVER_ERROR, scope="action")
        status, body = await op.post(path, {"on": True})
        assert status == 200 and body["ok"] is True


async def test_the_conversation_lists_its_tickets_with_due_time_and_deadline(
    people: Any, console_app: Any, console_clock: FakeClock
) -> None:
    op = await people("op1")
    tid, code = await new_ticket(people, op)
    _, ticket = await op.get(f"/console/api/tickets/{tid}")
    page = f"/console/api/conversations/{ticket['conversation_id']}"
    status, body = await op.get(page)
    assert status == 200, body
    assert [(t["code"], t["due_at"], t["deadline"]) for t in body["tickets"]] == [(code, None, None)]
    yte = await agency_id_of(console_app, "so-yte")
    assert (await op.post(f"/console/api/tickets/{tid}/forward", {"agency_id": yte}))[0] == 200
    _, body = await op.get(page)
    (listed,) = body["tickets"]
    assert listed["due_at"] and listed["deadline"] == "on_time"
    console_clock.advance(3 * 24 * 3600)  # three days later the 8 working hours are gone
    op = await people("op1")  # (the earlier session has expired meanwhile)
    _, body = await op.get(page)
    assert body["tickets"][0]["deadline"] == "overdue"
