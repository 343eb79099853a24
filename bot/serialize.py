"""JSON shapes of stored rows, shared by the HTTP API, WebSockets and the console."""

from __future__ import annotations

from typing import Any

from bot.clock import as_utc
from bot.db.models import Message

_DIRECTION = {"in": "in", "out": "out", "internal": "internal"}


def message_dict(msg: Message) -> dict[str, Any]:
    created = as_utc(msg.created_at)
    return {
        "id": msg.id,
        "seq": msg.seq,
        "direction": _DIRECTION.get(msg.direction, msg.direction),
        "sender": msg.sender_role,
        "text": msg.text,
        "status": msg.status,
        "created_at": created.isoformat() if created else None,
        "attachments": [
            {"kind": a.kind, "name": a.name, "size": a.size, "url": a.url} for a in (msg.attachments or [])
        ],
        "buttons": list((msg.meta or {}).get("buttons", [])),
    }


def message_event(msg: Message) -> dict[str, Any]:
    return {"type": "message", "conversation_id": msg.conversation_id, "message": message_dict(msg)}
