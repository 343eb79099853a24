"""storage/record/conversations.py, the one owner of a conversation's state, on SQLite and
PostgreSQL: its transitions, the close notice in the outbox, a message after a close
opening a linked conversation (a chat channel and a threaded e-mail), a follow's greeting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from actions.dialogue import DialogueState, FormState
from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from connectors.base import EventKind, InboundMessage
from connectors.email import EmailConnector
from storage.clock import ManualClock
from storage.migrate import upgrade
from storage.models import ChannelIdentity, Conversation, Message, OutboxItem
from storage.record import conversations as svc
from storage.record.ingest import IngestResult, identity_for, ingest_one

EMAIL = {"email": EmailConnector.capabilities}


@pytest.fixture
async def hub(hub_settings: Settings, clock: ManualClock) -> AsyncIterator[Any]:
    app = await create_app(hub_settings, clock=clock, run_workers=False)
    hub = app[HUB]
    await upgrade(hub.db)
    yield hub
    await hub.http.close()
    await hub.db.dispose()


async def _open(hub: Any, clock: ManualClock, external_id: str = "z1") -> int:
    async with hub.sm() as s, s.begin():
        identity, _ = await identity_for(s, "zalo", external_id, clock.now())
        conv = await svc.open_conversation(s, identity, "zalo", clock.now())
        return conv.id


async def _conv(hub: Any, conv_id: int) -> Conversation:
    async with hub.sm() as s:
        conv = await s.get(Conversation, conv_id)
        assert conv is not None
        return conv


async def test_transitions_of_one_conversation(hub: Any, clock: ManualClock) -> None:
    conv_id = await _open(hub, clock)
    assert (await _conv(hub, conv_id)).state == "bot"
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        assert await svc.to_waiting(s, conv, clock.now(), "Người dân muốn gặp cán bộ")
        assert not await svc.to_waiting(s, conv, clock.now(), "lần hai")  # already waiting
    conv = await _conv(hub, conv_id)
    assert (conv.state, conv.handoff_reason) == ("waiting_human", "Người dân muốn gặp cán bộ")
    assert conv.waiting_since is not None
    async with hub.sm() as s, s.begin():  # withdrew before a ticket
        conv = await s.get(Conversation, conv_id)
        assert await svc.back_to_bot(s, conv, clock.now())
        assert not await svc.back_to_bot(s, conv, clock.now())
    conv = await _conv(hub, conv_id)
    assert (conv.state, conv.waiting_since, conv.handoff_reason) == ("bot", None, None)
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        await svc.to_waiting(s, conv, clock.now(), "Phản ánh")
        await svc.take_over(s, conv, 7, clock.now())
        assert (conv.state, conv.assignee_id) == ("human", 7)
        assert not await svc.to_waiting(s, conv, clock.now(), "x")  # held: no change
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        with pytest.raises(svc.TransitionRefused):
            await svc.take_over(s, conv, 8, clock.now())
        await svc.hand_back(s, conv, clock.now())
    conv = await _conv(hub, conv_id)
    assert (conv.state, conv.assignee_id, conv.waiting_since) == ("bot", None, None)


async def test_close_tells_the_citizen_through_the_outbox(hub: Any, clock: ManualClock) -> None:
    conv_id = await _open(hub, clock)
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        await svc.take_over(s, conv, 7, clock.now())
        notice = await svc.close(s, conv, clock.now(), hotline_name="Tổng đài Thử Nghiệm")
    conv = await _conv(hub, conv_id)
    assert (conv.state, conv.assignee_id) == ("closed", None)
    async with hub.sm() as s:
        msg = await s.get(Message, notice.id)
        item = (await s.execute(select(OutboxItem).where(OutboxItem.message_id == notice.id))).scalar_one()
    assert msg is not None and msg.direction == "out" and msg.sender_role == "bot"
    assert "Tổng đài Thử Nghiệm" in msg.text and "cuộc trò chuyện mới" in msg.text
    assert msg.meta == {"act": "closed", "engine": "hub"}
    assert (item.channel, item.done) == ("zalo", False)
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        for change in (
            svc.close(s, conv, clock.now(), hotline_name="x"),
            svc.hand_back(s, conv, clock.now()),
            svc.take_over(s, conv, 7, clock.now()),
        ):
            with pytest.raises(svc.TransitionRefused):
                await change
        assert not await svc.to_waiting(s, conv, clock.now(), "x")
        assert not await svc.back_to_bot(s, conv, clock.now())
    assert (await _conv(hub, conv_id)).state == "closed"


async def test_one_of_two_operators_takes_it(hub: Any, clock: ManualClock) -> None:
    conv_id = await _open(hub, clock)

    async def take(user_id: int) -> bool:
        async with hub.sm() as s, s.begin():
            conv = await s.get(Conversation, conv_id)
            assert conv is not None
            try:
                await svc.take_over(s, conv, user_id, clock.now())
            except svc.TransitionRefused:
                return False
            await asyncio.sleep(0.05)  # hold the transaction open while the other tries
            return True

    won = await asyncio.gather(take(1), take(2))
    assert sorted(won) == [False, True]
    assert (await _conv(hub, conv_id)).assignee_id == (1 if won[0] else 2)


async def test_dialogue_state_is_stored_as_json(hub: Any, clock: ManualClock) -> None:
    conv_id = await _open(hub, clock)
    state = DialogueState(
        greeted=True, form=FormState(reason="request_human", step="phone", matter="Đường hỏng", values={})
    )
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        svc.set_dialogue(conv, state.to_json())
    assert DialogueState.from_json((await _conv(hub, conv_id)).dialogue) == state
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        svc.set_dialogue(conv, None)
    assert (await _conv(hub, conv_id)).dialogue is None


def _zalo(n: int, text: str = "Xin hỏi") -> InboundMessage:
    return InboundMessage(
        channel="zalo", kind=EventKind.MESSAGE, external_user_id="z1", channel_message_id=f"m-{n}", text=text
    )


async def _close(hub: Any, clock: ManualClock, conv_id: int) -> None:
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        await svc.close(s, conv, clock.now(), hotline_name="Tổng đài 1022")


async def test_a_message_after_a_close_opens_a_linked_conversation(hub: Any, clock: ManualClock) -> None:
    first = await ingest_one(hub.sm, _zalo(1), clock)
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, first.conversation_id)
        svc.set_dialogue(conv, {"greeted": True, "suggestions": ["a"]})
    await _close(hub, clock, first.conversation_id)
    second = await ingest_one(hub.sm, _zalo(2), clock)
    assert second.conversation_id != first.conversation_id
    new = await _conv(hub, second.conversation_id)
    assert (new.state, new.previous_id, new.channel) == ("bot", first.conversation_id, "zalo")
    assert new.dialogue == {"greeted": True}  # greeted once is enough; nothing else carried
    assert (await _conv(hub, first.conversation_id)).state == "closed"
    third = await ingest_one(hub.sm, _zalo(3), clock)
    assert third.conversation_id == second.conversation_id


def _mail(mid: str, *, reply_to: tuple[str, ...] = (), subject: str = "Hỏi về học phí") -> InboundMessage:
    return InboundMessage(
        channel="email",
        kind=EventKind.MESSAGE,
        external_user_id="dan@example.org",
        channel_message_id=mid,
        text="Nội dung thư",
        subject=subject,
        reply_to_ids=reply_to,
    )


async def _ingest_mail(hub: Any, clock: ManualClock, mid: str, **kwargs: Any) -> IngestResult:
    """Stored as the hub stores e-mail: with the e-mail connector's capabilities (threaded)."""
    return await ingest_one(hub.sm, _mail(mid, **kwargs), clock, capabilities=EMAIL)


async def test_an_email_reply_in_a_closed_thread_opens_a_linked_conversation(
    hub: Any, clock: ManualClock
) -> None:
    first = await _ingest_mail(hub, clock, "<a@example.org>")
    await _close(hub, clock, first.conversation_id)
    reply = await _ingest_mail(hub, clock, "<b@example.org>", reply_to=("<a@example.org>",))
    assert reply.conversation_id != first.conversation_id
    new = await _conv(hub, reply.conversation_id)
    old = await _conv(hub, first.conversation_id)
    assert (new.previous_id, new.thread_key, old.state) == (first.conversation_id, old.thread_key, "closed")
    # a later mail answering the thread's first message joins the new conversation
    late = await _ingest_mail(hub, clock, "<c@example.org>", reply_to=("<a@example.org>",))
    assert late.conversation_id == reply.conversation_id
    # an open thread is not split
    again = await _ingest_mail(hub, clock, "<d@example.org>", reply_to=("<b@example.org>",))
    assert again.conversation_id == reply.conversation_id
    # a new thread is a new matter: not linked
    other = await _ingest_mail(hub, clock, "<e@example.org>", subject="Việc khác")
    assert (await _conv(hub, other.conversation_id)).previous_id is None


def _follow(kind: EventKind = EventKind.FOLLOW) -> InboundMessage:
    return InboundMessage(channel="zalo", kind=kind, external_user_id="z9", raw_type="follow")


async def _greeting(s: Any) -> svc.BotReply:
    return svc.BotReply("Xin chào! Tổng đài 1022 xin nghe.", {"act": "greet", "engine": "hub"})


async def _bot_messages(hub: Any) -> list[Message]:
    async with hub.sm() as s:
        rows = await s.execute(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
            .where(ChannelIdentity.external_id == "z9", Message.direction == "out")
            .order_by(Message.id)
        )
        return list(rows.scalars())


async def test_a_new_follower_is_greeted_once(hub: Any, clock: ManualClock) -> None:
    res = await ingest_one(hub.sm, _follow(), clock, greeting=_greeting)
    assert res.conversation_id is not None and len(res.replies) == 1 and res.message_id is None
    (greeting,) = await _bot_messages(hub)
    assert (greeting.id, greeting.text) == (res.replies[0], "Xin chào! Tổng đài 1022 xin nghe.")
    assert (greeting.meta or {})["act"] == "greet"
    conv = await _conv(hub, res.conversation_id)
    assert conv.state == "bot" and (conv.dialogue or {}).get("greeted") is True
    async with hub.sm() as s:
        item = (await s.execute(select(OutboxItem).where(OutboxItem.message_id == greeting.id))).scalar_one()
        identity = (
            await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == "z9"))
        ).scalar_one()
    assert item.channel == "zalo" and identity.following is True
    # the vendor redelivers the follow: already following, nobody is greeted twice
    again = await ingest_one(hub.sm, _follow(), clock, greeting=_greeting)
    assert again.replies == () and len(await _bot_messages(hub)) == 1
    # unfollow, follow again: a new follow, greeted in the open conversation
    await ingest_one(hub.sm, _follow(EventKind.UNFOLLOW), clock, greeting=_greeting)
    back = await ingest_one(hub.sm, _follow(), clock, greeting=_greeting)
    assert back.conversation_id == res.conversation_id and len(await _bot_messages(hub)) == 2
    # the first message is answered in that same conversation
    first = await ingest_one(
        hub.sm,
        InboundMessage(
            channel="zalo", kind=EventKind.MESSAGE, external_user_id="z9", channel_message_id="f1", text="Hỏi"
        ),
        clock,
        greeting=_greeting,
    )
    assert first.conversation_id == res.conversation_id
