"""JSON shapes of the console's conversations: a contact, a conversation in the queue
(with how far its contact form got)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from actions.dialogue import CONTACT_FIELDS, DialogueState
from storage.clock import as_utc
from storage.models import ChannelIdentity, Contact, Conversation

# what the bot is asking, in the operator's words
STEP_LABELS = {
    "matter": "nội dung",
    "confirm_name": "họ tên",
    "full_name": "họ tên",
    "phone": "số điện thoại",
    "address": "địa chỉ",
    "email": "e-mail",
}
STEP_FIELD = {"confirm_name": "full_name"}


def iso(value: datetime | None) -> str | None:
    v = as_utc(value)
    return v.isoformat() if v else None


def contact_dict(c: Contact | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "id": c.id,
        "display_name": c.display_name,
        "full_name": c.full_name,
        "phone": c.phone,
        "email": c.email,
        "address": c.address,
        "merged_into_id": c.merged_into_id,
    }


def form_progress(dialogue: dict[str, Any] | None) -> dict[str, Any] | None:
    """The contact form in progress: the step asked, its position among the contact fields
    (0 while the matter is asked) and a line for the queue, e.g. "Đang hỏi: địa chỉ (3/4)"."""
    try:
        form = DialogueState.from_json(dialogue).form
    except (KeyError, TypeError, ValueError):
        return None
    if form is None:
        return None
    field = STEP_FIELD.get(form.step, form.step)
    position = CONTACT_FIELDS.index(field) + 1 if field in CONTACT_FIELDS else 0
    label = STEP_LABELS.get(form.step, form.step)
    total = len(CONTACT_FIELDS)
    return {
        "step": form.step,
        "reason": form.reason,
        "position": position,
        "total": total,
        "text": f"Đang hỏi: {label} ({position}/{total})",
    }


def conversation_dict(
    conv: Conversation, contact: Contact | None, now: datetime, identity: ChannelIdentity | None = None
) -> dict[str, Any]:
    since = as_utc(conv.waiting_since)
    name = None
    if contact is not None:
        name = contact.full_name or contact.display_name
    if not name and identity is not None:
        name = identity.display_name
    return {
        "id": conv.id,
        "channel": conv.channel,
        "state": conv.state,
        "assignee_id": conv.assignee_id,
        "contact_id": conv.contact_id,
        "contact_name": name or f"Khách #{conv.contact_id}",
        "waiting_since": iso(conv.waiting_since),
        "waiting_seconds": int((now - since).total_seconds()) if since else None,
        "handoff_reason": conv.handoff_reason,
        "updated_at": iso(conv.updated_at),
        "previous_id": conv.previous_id,
        "form": form_progress(conv.dialogue),
    }
