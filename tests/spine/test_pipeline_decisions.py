"""The pipeline applies a conversation engine's Decision in ONE transaction (issue 11):
the replies (buttons as {"title","payload"}, act, engine, ticket code), the ticket with its
code and due time filled into the replies, the citizen's later notes on that ticket, the
operator queue and leaving it, and the new dialogue state. A decision that cannot be stored
leaves nothing behind; a waiting conversation still reaches the engine, one an operator
holds does not; a dialogue an operator changed meanwhile is answered from its new state.

The engine here is scripted (it returns given decisions and records what it was asked);
the pipeline, the stores and the database are the real ones, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from actions.dialogue import Button, Decision, DialogueState, FormState, Reply, TicketRequest
from bot.app import create_app
from bot.config import Settings
from bot.engine import EngineReply, EngineRequest, EngineResult
from bot.hub import HUB
from connectors.base import EventKind, InboundMessage
from handoff.tickets import answer_due_text
from storage.clock import ManualClock, as_utc
from storage.migrate import upgrade
from storage.models import Conversation, Message, Ticket
from storage.models_console import TicketEvent
from storage.record import conversations
from storage.record.ingest import ingest_one
from tests.conftest import wait_for

CODE = re.compile(r"\b1022-\d{4}-\d{6}\b")


@dataclass
class ScriptedEngine:
    """Returns the next scripted decision; records each request. ``gate``: the first call
    waits until it is set."""

    decisions: list[Decision] = field(default_factory=list)
    seen: list[EngineRequest] = field(default_factory=list)
    gate: asyncio.Event | None = None
    name: str = "hub"
    owns_dialogue: bool = True

    async def respond(self, req: EngineRequest) -> EngineResult:
        self.seen.append(req)
        if self.gate is not None and len(self.seen) == 1:
            await self.gate.wait()
        d = self.decisions.pop(0)
        return EngineResult(
            [EngineReply(r.text, r.buttons) for r in d.replies], meta={"nlu": "cues"}, decision=d
        )

    async def resume(self, sender_id: str) -> None:
        return None


@pytest.fixture
def engine() -> ScriptedEngine:
    return ScriptedEngine()


@pytest.fixture
async def hub(hub_settings: Settings, clock: ManualClock, engine: ScriptedEngine) -> AsyncIterator[Any]:
    app = await create_app(hub_settings, clock=clock, run_workers=False, engine_factory=lambda _h: engine)
    hub = app[HUB]
    await upgrade(hub.db)
    yield hub
    await hub.http.close()
    await hub.db.dispose()


async def say(hub: Any, clock: ManualClock, text: str, n: int) -> int:
    event = InboundMessage(
        channel="loopback",
        kind=EventKind.MESSAGE,
        external_user_id="citizen-1",
        channel_message_id=f"in-{n}",
        text=text,
    )
    res = await ingest_one(hub.sm, event, clock)
    assert res.conversation_id is not None
    return res.conversation_id


async def bot_replies(hub: Any, conv_id: int) -> list[Message]:
    async with hub.sm() as s:
        rows = await s.execute(
            select(Message)
            .where(Message.conversation_id == conv_id, Message.sender_role == "bot")
            .order_by(Message.seq)
        )
        return list(rows.scalars())


async def conversation(hub: Any, conv_id: int) -> Conversation:
    async with hub.sm() as s:
        conv = await s.get(Conversation, conv_id)
        assert conv is not None
        return conv


def state_of(conv: Conversation) -> DialogueState:
    return DialogueState.from_json(conv.dialogue)


async def count(hub: Any, model: Any) -> int:
    async with hub.sm() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


REPORT = "Đường liên xã bị ngập sâu, xe không qua được"
FORM = FormState(reason="report_incident", step="phone", matter=REPORT, values={"full_name": "Nguyễn Văn An"})


def ticket_decision() -> Decision:
    return Decision(
        act="ticket",
        replies=(
            Reply(
                "Đã ghi nhận phản ánh, mã phiếu {ticket_code}. Cán bộ sẽ trả lời {due_text}.",
                (Button("Gặp cán bộ", "Gặp cán bộ"),),
            ),
        ),
        state=DialogueState(greeted=True),
        queue="report_incident",
        ticket=TicketRequest(
            kind="incident",
            reason="report_incident",
            content=REPORT,
            contact={"full_name": "Nguyễn Văn An", "phone": "0912345678", "email": None, "address": None},
        ),
    )


async def test_ticket_queue_replies_and_state_commit_together(
    hub: Any, engine: ScriptedEngine, clock: ManualClock
) -> None:
    engine.decisions.append(ticket_decision())
    conv_id = await say(hub, clock, REPORT, 1)
    assert await hub.pipeline.process_conversation(conv_id) == 1

    assert engine.seen[0].dialogue == {} and engine.seen[0].first_contact is True
    async with hub.sm() as s:
        ticket = (await s.execute(select(Ticket))).scalar_one()
    assert ticket.conversation_id == conv_id and ticket.kind == "incident" and ticket.content == REPORT
    assert ticket.contact_snapshot is not None and ticket.contact_snapshot["phone"] == "0912345678"
    [reply] = await bot_replies(hub, conv_id)
    due = answer_due_text(None)  # no time promised: the 8 working hours start at the forward
    assert "kể từ khi yêu cầu được chuyển tới cơ quan có thẩm quyền" in due and ":" not in due
    assert reply.text == f"Đã ghi nhận phản ánh, mã phiếu {ticket.code}. Cán bộ sẽ trả lời {due}."
    assert reply.meta == {
        "buttons": [{"title": "Gặp cán bộ", "payload": "Gặp cán bộ"}],
        "act": "ticket",
        "engine": "hub",
        "nlu": "cues",
        "ticket_code": ticket.code,
    }
    conv = await conversation(hub, conv_id)
    assert conv.state == "waiting_human" and conv.handoff_reason == "report_incident"
    assert as_utc(conv.waiting_since) == clock.now()
    assert state_of(conv) == DialogueState(greeted=True, ticket_code=ticket.code)


async def test_what_the_citizen_adds_goes_to_the_open_ticket_while_waiting(
    hub: Any, engine: ScriptedEngine, clock: ManualClock
) -> None:
    engine.decisions.append(ticket_decision())
    conv_id = await say(hub, clock, REPORT, 1)
    await hub.pipeline.process_conversation(conv_id)
    code = (await conversation(hub, conv_id)).dialogue["ticket_code"]  # type: ignore[index]
    note = "Nước ngập khoảng 50 cm ở đoạn gần cầu"
    state = DialogueState(greeted=True, ticket_code=code)
    engine.decisions.append(
        Decision(
            act="ticket_note",
            replies=(Reply("Đã bổ sung vào phiếu {ticket_code}."),),
            state=state,
            ticket_note=note,
        )
    )
    clock.advance(minutes=3)
    await say(hub, clock, note, 2)
    assert await hub.pipeline.process_conversation(conv_id) == 1  # waiting: still the engine's

    assert DialogueState.from_json(engine.seen[1].dialogue) == state
    assert engine.seen[1].first_contact is False
    async with hub.sm() as s:
        ticket = (await s.execute(select(Ticket).where(Ticket.code == code))).scalar_one()
        events = (await s.execute(select(TicketEvent).where(TicketEvent.action == "citizen_note"))).scalars()
        [event] = list(events)
    assert ticket.content.startswith(REPORT) and ticket.content.endswith(note)
    assert event.ticket_id == ticket.id and event.text == note and as_utc(event.at) == clock.now()
    replies = await bot_replies(hub, conv_id)
    assert replies[-1].text == f"Đã bổ sung vào phiếu {code}."
    assert (await conversation(hub, conv_id)).state == "waiting_human"


async def test_queued_at_once_then_withdrawn_back_to_the_bot(
    hub: Any, engine: ScriptedEngine, clock: ManualClock
) -> None:
    asking = DialogueState(greeted=True, form=FormState(reason="request_human", step="matter"))
    engine.decisions += [
        Decision(
            act="ask_matter",
            replies=(Reply("Anh/chị cần hỗ trợ việc gì?"),),
            state=asking,
            queue="request_human",
        ),
        Decision(
            act="withdraw",
            replies=(Reply("Vâng, anh/chị cứ hỏi tiếp."),),
            state=DialogueState(greeted=True),
            dequeue=True,
        ),
    ]
    conv_id = await say(hub, clock, "cho tôi gặp cán bộ", 1)
    await hub.pipeline.process_conversation(conv_id)
    conv = await conversation(hub, conv_id)
    assert conv.state == "waiting_human" and conv.handoff_reason == "request_human"
    assert state_of(conv) == asking  # the operator sees how far the form got

    await say(hub, clock, "thôi không cần nữa", 2)
    await hub.pipeline.process_conversation(conv_id)
    conv = await conversation(hub, conv_id)
    assert conv.state == "bot" and conv.waiting_since is None
    assert state_of(conv) == DialogueState(greeted=True)
    assert [m.meta["act"] for m in await bot_replies(hub, conv_id)] == ["ask_matter", "withdraw"]  # type: ignore[index]
    assert await count(hub, Ticket) == 0


async def test_an_operator_holding_the_conversation_silences_the_bot(
    hub: Any, engine: ScriptedEngine, clock: ManualClock
) -> None:
    engine.decisions.append(
        Decision(
            act="ask_matter",
            replies=(Reply("Anh/chị cần hỗ trợ việc gì?"),),
            state=DialogueState(),
            queue="request_human",
        )
    )
    conv_id = await say(hub, clock, "gặp cán bộ", 1)
    await hub.pipeline.process_conversation(conv_id)
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id, with_for_update=True)
        assert conv is not None
        await conversations.take_over(s, conv, 7, clock.now())
    await say(hub, clock, "tôi muốn hỏi về đất đai", 2)
    assert await hub.pipeline.process_conversation(conv_id) == 1
    assert len(engine.seen) == 1 and len(await bot_replies(hub, conv_id)) == 1
    async with hub.sm() as s:
        unprocessed = (await s.execute(select(func.count()).where(Message.processed.is_(False)))).scalar_one()
    assert unprocessed == 0


async def test_a_decision_that_cannot_be_stored_leaves_nothing_behind(
    hub: Any, engine: ScriptedEngine, clock: ManualClock
) -> None:
    good = ticket_decision()
    # the dialogue state is written last, after the ticket, the replies and the queue: a
    # state the database cannot store (not JSON) must undo all of them
    broken = Decision(
        act=good.act,
        replies=good.replies,
        state=DialogueState(form=FormState("report_incident", "phone", values={"full_name": object()})),  # type: ignore[dict-item]
        queue=good.queue,
        ticket=good.ticket,
    )
    engine.decisions += [broken, good]
    conv_id = await say(hub, clock, REPORT, 1)
    with pytest.raises(Exception):  # noqa: B017 - the driver's own serialisation error
        await hub.pipeline.process_conversation(conv_id)
    assert await count(hub, Ticket) == 0 and await bot_replies(hub, conv_id) == []
    conv = await conversation(hub, conv_id)
    assert conv.state == "bot" and conv.dialogue is None
    # the message is still to answer: the next try stores everything, once
    assert await hub.pipeline.process_conversation(conv_id) == 1
    [reply] = await bot_replies(hub, conv_id)
    async with hub.sm() as s:
        ticket = (await s.execute(select(Ticket))).scalar_one()
    assert ticket.number == 1  # the failed try gave its number back
    assert CODE.search(reply.text) and ticket.code in reply.text


async def test_a_dialogue_changed_meanwhile_is_answered_from_its_new_state(
    hub: Any, engine: ScriptedEngine, clock: ManualClock
) -> None:
    engine.gate = asyncio.Event()
    engine.decisions += [
        Decision(
            act="answer", replies=(Reply("trả lời cũ"),), state=DialogueState(greeted=True, pending="clarify")
        ),
        Decision(act="answer", replies=(Reply("trả lời mới"),), state=DialogueState(greeted=True)),
    ]
    conv_id = await say(hub, clock, "hỏi về hộ chiếu", 1)
    work = asyncio.create_task(hub.pipeline.process_conversation(conv_id))
    await wait_for(lambda: len(engine.seen) == 1)
    changed = DialogueState(greeted=True, suggestions=("Q1",))
    async with hub.sm() as s, s.begin():  # e.g. an operator handed it back meanwhile
        conv = await s.get(Conversation, conv_id, with_for_update=True)
        assert conv is not None
        conversations.set_dialogue(conv, changed.to_json())
    engine.gate.set()
    await work
    assert [DialogueState.from_json(r.dialogue) for r in engine.seen] == [DialogueState(), changed]
    assert [m.text for m in await bot_replies(hub, conv_id)] == ["trả lời mới"]
    assert state_of(await conversation(hub, conv_id)) == DialogueState(greeted=True)
