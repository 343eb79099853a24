"""JSON shapes of the console's conversations: a contact, a conversation in the queue
(with how far its contact form got), and one conversation with its contact's whole history
across channels (``load_conversation``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.dialogue import CONTACT_FIELDS, DialogueState
from bot.serialize import message_dict
from handoff.calendar import WorkingCalendar
from handoff.deadline_checks import deadline_flag
from privacy import copy_links
from storage.clock import as_utc
from storage.models import ChannelIdentity, Contact, Conversation, Direction, Message, Ticket
from storage.models_console import TicketTrack, User

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


@dataclass(frozen=True)
class SlaLimits:
    """Seconds of waiting after which the queue shows a conversation "warn", then "late"
    (``HUB_QUEUE_WARN_SECONDS``, ``HUB_QUEUE_LATE_SECONDS``)."""

    warn: int = 120
    late: int = 300

    def of(self, waiting_seconds: int | None) -> str:
        """ "ok", "warn" or "late" (not waiting: "ok")."""
        if waiting_seconds is None or waiting_seconds < self.warn:
            return "ok"
        return "late" if waiting_seconds >= self.late else "warn"


async def unread_counts(s: AsyncSession, conv_ids: list[int]) -> dict[int, int]:
    """For each conversation, the citizen's messages after its latest outbound one (a bot or
    an operator reply; internal notes do not count): one query for them all. Conversations
    with none are left out."""
    if not conv_ids:
        return {}
    last_out = (
        select(Message.conversation_id.label("cid"), func.max(Message.seq).label("seq"))
        .where(Message.conversation_id.in_(conv_ids), Message.direction == Direction.OUTBOUND.value)
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = await s.execute(
        select(Message.conversation_id, func.count())
        .outerjoin(last_out, last_out.c.cid == Message.conversation_id)
        .where(
            Message.conversation_id.in_(conv_ids),
            Message.direction == Direction.INBOUND.value,
            or_(last_out.c.seq.is_(None), Message.seq > last_out.c.seq),
        )
        .group_by(Message.conversation_id)
    )
    return {int(cid): int(n) for cid, n in rows.all()}


def conversation_dict(
    conv: Conversation,
    contact: Contact | None,
    now: datetime,
    identity: ChannelIdentity | None = None,
    *,
    unread: int = 0,
    sla: SlaLimits = SlaLimits(),
) -> dict[str, Any]:
    """A conversation as the queue shows it: ``unread`` citizen messages since the last
    reply, ``sla`` from how long it has waited."""
    since = as_utc(conv.waiting_since)
    waited = int((now - since).total_seconds()) if since else None
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
        "waiting_seconds": waited,
        "sla": sla.of(waited),
        "unread": unread,
        "handoff_reason": conv.handoff_reason,
        "updated_at": iso(conv.updated_at),
        "previous_id": conv.previous_id,
        "form": form_progress(conv.dialogue),
    }


async def contact_ids(s: AsyncSession, contact_id: int) -> list[int]:
    """The contact and every contact merged into it."""
    ids, frontier = {contact_id}, [contact_id]
    while frontier:
        rows = await s.execute(select(Contact.id).where(Contact.merged_into_id.in_(frontier)))
        frontier = [i for i in rows.scalars() if i not in ids]
        ids.update(frontier)
    return sorted(ids)


async def load_conversation(
    s: AsyncSession,
    conv_id: int,
    now: datetime,
    sla: SlaLimits = SlaLimits(),
    calendar: WorkingCalendar | None = None,
) -> tuple[Conversation, dict[str, Any]] | None:
    """The console's view of one conversation: the conversation, who holds it, its contact
    (and the contacts merged into it) with their channels, conversations, messages (2000 at
    most, oldest first) and tickets. ``None`` when there is no such conversation."""
    conv = await s.get(Conversation, conv_id)
    if conv is None:
        return None
    contact = await s.get(Contact, conv.contact_id)
    ids = await contact_ids(s, conv.contact_id)
    query = select(Conversation).where(Conversation.contact_id.in_(ids)).order_by(Conversation.id)
    convs = (await s.execute(query)).scalars().all()
    conv_ids = [c.id for c in convs]
    return conv, {
        "conversation": conversation_dict(
            conv, contact, now, unread=(await unread_counts(s, [conv.id])).get(conv.id, 0), sla=sla
        ),
        "assignee": await _assignee(s, conv.assignee_id),
        "contact": contact_dict(contact),
        "identities": await _identities(s, ids),
        "conversations": [
            {
                "id": c.id,
                "channel": c.channel,
                "state": c.state,
                "previous_id": c.previous_id,
                "created_at": iso(c.created_at),
            }
            for c in convs
        ],
        "messages": await _history(s, conv_ids),
        "tickets": await _tickets(s, conv_ids, ids, now, calendar),
    }


async def _assignee(s: AsyncSession, user_id: int | None) -> dict[str, Any] | None:
    user = await s.get(User, user_id) if user_id else None
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "full_name": user.full_name}


async def _identities(s: AsyncSession, contact_ids: list[int]) -> list[dict[str, Any]]:
    rows = await s.execute(select(ChannelIdentity).where(ChannelIdentity.contact_id.in_(contact_ids)))
    return [{"channel": i.channel, "display_name": i.display_name} for i in rows.scalars()]


async def _history(s: AsyncSession, conv_ids: list[int]) -> list[dict[str, Any]]:
    """The conversations' messages, oldest first (2000 at most), each with its channel."""
    rows = await s.execute(
        select(Message)
        .where(Message.conversation_id.in_(conv_ids))
        .order_by(Message.created_at, Message.id)
        .limit(2000)
    )
    history = []
    for m in rows.scalars():
        d = copy_links.for_staff(message_dict(m))
        d["conversation_id"] = m.conversation_id
        d["channel"] = m.channel
        history.append(d)
    return history


async def _tickets(
    s: AsyncSession,
    conv_ids: list[int],
    contact_ids: list[int],
    now: datetime,
    calendar: WorkingCalendar | None,
) -> list[dict[str, Any]]:
    """The contact's tickets with status, agency, due time, urgency and (given the working
    calendar) how that deadline stands: ``on_time`` / ``approaching`` / ``overdue``.
    Urgent tickets first (Điều 13.2), then in the order they were opened."""
    rows = await s.execute(
        select(Ticket, TicketTrack.urgent)
        .outerjoin(TicketTrack, TicketTrack.ticket_id == Ticket.id)
        .where(or_(Ticket.conversation_id.in_(conv_ids), Ticket.contact_id.in_(contact_ids)))
        .order_by(TicketTrack.urgent.desc().nulls_last(), Ticket.id)
    )
    return [
        {
            "id": t.id,
            "code": t.code,
            "status": t.status,
            "agency": t.agency,
            "due_at": iso(t.due_at),
            "deadline": deadline_flag(t, now, calendar) if calendar else None,
            "urgent": bool(urgent),
        }
        for t, urgent in rows.all()
    ]
