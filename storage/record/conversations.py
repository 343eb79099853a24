"""The one owner of a conversation's state changes.

    open ──> bot ──> waiting_human ──> human ──> closed
              ^  <──────┘ (withdrew)     │
              └──────────────────────────┘ (handed back)

Every function works in the caller's session (its transaction: the state change commits
with the reply, the ticket or the audit record that goes with it, or not at all) and takes
the caller's ``now``. Nobody else assigns ``Conversation.state``, ``waiting_since``,
``assignee_id`` or ``handoff_reason``.

A closed conversation stays closed: a citizen who writes again gets a NEW conversation
linked to it (``previous_id``), on every channel (:func:`open_conversation`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity, Conversation, ConversationState, Message
from storage.record.outbound import add_reply

__all__ = [
    "CLOSED_ACT",
    "BotReply",
    "GreetingSource",
    "TransitionRefused",
    "back_to_bot",
    "close",
    "closed_notice",
    "greet",
    "hand_back",
    "latest_in_chain",
    "open_conversation",
    "set_dialogue",
    "take_over",
    "to_waiting",
]

BOT = ConversationState.BOT.value
WAITING = ConversationState.WAITING_HUMAN.value
HUMAN = ConversationState.HUMAN.value
CLOSED = ConversationState.CLOSED.value

CLOSED_ACT = "closed"  # the ``act`` in the meta of the closing notice
CLOSED_TEXT = (
    "{hotline} đã kết thúc cuộc trò chuyện này. Cảm ơn anh/chị đã liên hệ. "
    "Nếu cần hỗ trợ thêm, anh/chị cứ nhắn tin: một cuộc trò chuyện mới sẽ được mở."
)
MAX_CHAIN = 1000  # links followed from a closed conversation to its newest successor


@dataclass(frozen=True, slots=True)
class BotReply:
    """A bot message to store: its text and its meta (``buttons``, ``act``, ``engine``)."""

    text: str
    meta: Mapping[str, Any] = field(default_factory=dict)


# the greeting of this hub, built in the caller's session (it may read the hotline's domains)
GreetingSource = Callable[[AsyncSession], Awaitable[BotReply]]


class TransitionRefused(Exception):
    """The conversation is not in a state this change starts from (message in Vietnamese)."""


def closed_notice(hotline_name: str) -> str:
    """What the citizen is told when the conversation is closed."""
    return CLOSED_TEXT.format(hotline=hotline_name)


async def open_conversation(
    s: AsyncSession,
    identity: ChannelIdentity,
    channel: str,
    now: datetime,
    *,
    thread_key: str | None = None,
    previous: Conversation | None = None,
) -> Conversation:
    """A new conversation in state ``bot``; ``previous``: the closed one it follows.

    A citizen greeted in the previous conversation is not greeted again."""
    dialogue: dict[str, Any] | None = None
    if previous is not None and (previous.dialogue or {}).get("greeted"):
        dialogue = {"greeted": True}
    conv = Conversation(
        contact_id=identity.contact_id,
        identity_id=identity.id,
        channel=channel,
        thread_key=thread_key,
        state=BOT,
        last_seq=0,
        dialogue=dialogue,
        previous_id=previous.id if previous is not None else None,
        created_at=now,
        updated_at=now,
    )
    s.add(conv)
    await s.flush()
    return conv


async def latest_in_chain(s: AsyncSession, conv: Conversation) -> Conversation:
    """The newest conversation that follows ``conv`` through ``previous_id`` links (itself
    when none does)."""
    for _ in range(MAX_CHAIN):
        nxt = (
            await s.execute(
                select(Conversation)
                .where(Conversation.previous_id == conv.id)
                .order_by(Conversation.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if nxt is None:
            return conv
        conv = nxt
    return conv


def _touch(conv: Conversation, now: datetime) -> None:
    conv.updated_at = now


async def to_waiting(s: AsyncSession, conv: Conversation, now: datetime, reason: str) -> bool:
    """bot -> waiting_human (in the operator queue from ``now``). False, and nothing
    changes, when it is waiting, held or closed already."""
    if conv.state != BOT:
        return False
    conv.state = WAITING
    conv.waiting_since = now
    conv.handoff_reason = reason
    _touch(conv, now)
    return True


async def back_to_bot(s: AsyncSession, conv: Conversation, now: datetime) -> bool:
    """waiting_human -> bot: the citizen withdrew before staff took it. False otherwise."""
    if conv.state != WAITING:
        return False
    conv.state = BOT
    conv.waiting_since = None
    conv.handoff_reason = None
    _touch(conv, now)
    return True


async def take_over(s: AsyncSession, conv: Conversation, user_id: int, now: datetime) -> None:
    """bot | waiting_human -> human, held by ``user_id``. One operator only: the change is
    one conditional UPDATE, so of two operators taking it at once one is refused."""
    res = await s.execute(
        update(Conversation)
        .where(
            Conversation.id == conv.id,
            Conversation.assignee_id.is_(None),
            Conversation.state.in_([WAITING, BOT]),
        )
        .values(assignee_id=user_id, state=HUMAN, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not res.rowcount:  # type: ignore[attr-defined]
        raise TransitionRefused("Hội thoại đã có cán bộ khác nhận hoặc đã đóng")
    await s.refresh(conv)


async def hand_back(s: AsyncSession, conv: Conversation, now: datetime) -> None:
    """human | waiting_human -> bot: nobody holds it, it leaves the queue. The bot starts
    afresh: an unfinished form or the ticket the officer dealt with is not resumed (only
    the greeting is remembered)."""
    if conv.state == CLOSED:
        raise TransitionRefused("Hội thoại đã đóng")
    conv.state = BOT
    conv.assignee_id = None
    conv.waiting_since = None
    greeted = bool((conv.dialogue or {}).get("greeted"))
    set_dialogue(conv, {"greeted": True} if greeted else None)
    _touch(conv, now)


async def close(s: AsyncSession, conv: Conversation, now: datetime, *, hotline_name: str) -> Message:
    """-> closed, and the citizen is told (a bot reply in the channel's outbox, so every
    channel sends it). The next message opens a new, linked conversation."""
    if conv.state == CLOSED:
        raise TransitionRefused("Hội thoại đã đóng")
    conv.state = CLOSED
    conv.assignee_id = None
    conv.waiting_since = None
    _touch(conv, now)
    return await add_reply(
        s, conv, closed_notice(hotline_name), now, meta={"act": CLOSED_ACT, "engine": "hub"}
    )


def set_dialogue(conv: Conversation, data: Mapping[str, Any] | None) -> None:
    """Store the dialogue state (``actions.dialogue.DialogueState.to_json()``) or clear it."""
    conv.dialogue = dict(data) if data is not None else None


async def greet(s: AsyncSession, conv: Conversation, now: datetime, reply: BotReply) -> Message:
    """The greeting as a bot message of ``conv`` (in its channel's outbox); the dialogue
    state records that the citizen was greeted."""
    msg = await add_reply(s, conv, reply.text, now, meta=reply.meta)
    set_dialogue(conv, {**(conv.dialogue or {}), "greeted": True})
    return msg
