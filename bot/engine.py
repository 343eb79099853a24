"""The one small interface between the pipeline and whatever answers citizens.

The pipeline hands a :class:`EngineRequest` to a :class:`DialogueEngine` and stores the
:class:`EngineResult`. Engines: the hub's conversation engine
(``bot.engines.conversation_engine``: the default, its result carries the policy's
:class:`actions.dialogue.Decision`, applied by the pipeline in one transaction),
:class:`HandoffEngine` (the simplest honest one), the FAQ engine
(``bot.engines.faq_engine``) and Rasa's own dialogue (``bot.engines.rasa_engine``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from actions.dialogue import Button, Decision


def engine_sender_id(conversation_id: int, created_at: datetime | None) -> str:
    """What a dialogue engine keys its own state by: the conversation id plus its creation
    time, so a reset hub database never meets a stale Rasa tracker of an old ``conv-1``."""
    stamp = int(created_at.timestamp() * 1000) if created_at is not None else 0
    return f"conv-{conversation_id}-{stamp}"


def conversation_of(sender_id: str) -> int:
    """The hub conversation id inside an engine sender id (``conv-<id>-<stamp>``)."""
    parts = sender_id.split("-")
    if len(parts) < 2 or parts[0] != "conv" or not parts[1].isdigit():
        raise LookupError(f"sender_id {sender_id!r} is not a hub conversation")
    return int(parts[1])


class EngineUnavailable(Exception):
    """The engine cannot answer now (process down, timeout): the hub falls back."""


@dataclass(frozen=True, slots=True)
class EngineRequest:
    conversation_id: int
    sender_id: str  # stable per conversation: what the engine keys its own state by
    channel: str
    text: str
    message_id: int
    profile: Mapping[str, Any] = field(default_factory=dict)  # known contact fields (Điều 7.2)
    attachments: int = 0
    last_bot_meta: Mapping[str, Any] = field(default_factory=dict)  # meta of the bot's last reply
    dialogue: Mapping[str, Any] = field(default_factory=dict)  # conversations.dialogue (DialogueState JSON)
    first_contact: bool = False  # this channel identity never had a bot reply (or greeting) before


@dataclass(frozen=True, slots=True)
class EngineReply:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class EngineResult:
    replies: list[EngineReply]
    handoff: bool = False  # move the conversation to ``waiting_human``
    handoff_reason: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)  # stored on the last reply
    engine: str | None = None  # which engine answered (set by the pipeline on fallback)
    # the conversation engine's decision: its ticket, queue, dequeue and dialogue state are
    # applied by the pipeline in the same transaction as the replies
    decision: Decision | None = None


class DialogueEngine(Protocol):
    name: str

    async def respond(self, req: EngineRequest) -> EngineResult: ...

    async def resume(self, sender_id: str) -> None:
        """The conversation was handed back to the bot by an operator."""
        ...


class HandoffEngine:
    """Answers nothing itself: tells the citizen an officer will reply, hands off."""

    name = "handoff"

    def __init__(self, hotline_name: str = "Tổng đài 1022") -> None:
        self.hotline_name = hotline_name

    async def respond(self, req: EngineRequest) -> EngineResult:
        text = (
            f"{self.hotline_name} đã nhận được tin nhắn của anh/chị. "
            "Cán bộ tổng đài sẽ trả lời anh/chị trong thời gian sớm nhất. Xin cảm ơn!"
        )
        return EngineResult([EngineReply(text)], handoff=True, handoff_reason="Chưa có trả lời tự động")

    async def resume(self, sender_id: str) -> None:
        return None
