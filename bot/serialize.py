"""JSON shapes of stored rows, shared by the HTTP API, WebSockets and the console; and the
live event that tells a conversation's viewers of a message (``publish_message``)."""

from __future__ import annotations

from typing import Any

from bot.events import EventBus, conversation_topic
from connectors.base import stored_quick_replies
from storage.clock import as_utc
from storage.models import Message

_DIRECTION = {"in": "in", "out": "out", "internal": "internal"}


def message_dict(msg: Message) -> dict[str, Any]:
    """One message. ``buttons``: the tap-able suggestions as ``{"title", "payload"}`` (rows
    stored with plain strings read as title = payload); ``act``, ``faq_id`` and
    ``ticket_code`` when the reply's meta has them; ``processed`` for a citizen's message:
    the bot has handled it (its replies, if any, are stored)."""
    created = as_utc(msg.created_at)
    meta = msg.meta or {}
    out: dict[str, Any] = {
        "id": msg.id,
        "conversation_id": msg.conversation_id,
        "seq": msg.seq,
        "direction": _DIRECTION.get(msg.direction, msg.direction),
        "sender": msg.sender_role,
        "text": msg.text,
        "status": msg.status,
        "created_at": created.isoformat() if created else None,
        "attachments": [
            {"kind": a.kind, "name": a.name, "size": a.size, "url": a.url} for a in (msg.attachments or [])
        ],
        "buttons": [
            {"title": q.title, "payload": q.payload} for q in stored_quick_replies(meta.get("buttons"))
        ],
    }
    for key in ("act", "faq_id"):
        if isinstance(value := meta.get(key), str):
            out[key] = value
    ticket = meta.get("ticket_code") or meta.get("ticket")  # a workflow step's meta says "ticket"
    if isinstance(ticket, str):
        out["ticket_code"] = ticket
    if msg.direction == "in":
        out["processed"] = bool(msg.processed)
    return out


def message_event(msg: Message) -> dict[str, Any]:
    return {"type": "message", "conversation_id": msg.conversation_id, "message": message_dict(msg)}


async def publish_message(bus: EventBus, msg: Message) -> None:
    """Tell the live views of ``msg``'s conversation (web chat, console) of the message as it
    is now (new, or its status moved). After the commit that stored it."""
    await bus.publish(conversation_topic(msg.conversation_id), message_event(msg))
