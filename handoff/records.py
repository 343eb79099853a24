"""The records of requests (Điều 11.1): one :class:`RequestRecord` per request received,
tickets and the requests the bot handled alone (an FAQ answer, a tapped suggestion, a
refusal as out of scope), read from the stored tickets and messages.

:func:`load_records` reads them for a period; :data:`COLUMNS` and :func:`record_cells` give
the export's Vietnamese columns (the console writes them as .xlsx or .csv). The report
figures (:mod:`handoff.report_figures`) are computed over the same records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import SenderRole
from handoff.calendar import HOTLINE_TZ
from handoff.labels import label
from storage.clock import as_utc
from storage.models import Contact, Conversation, Message, Ticket
from storage.models_console import Agency, Domain, TicketEvent, TicketFile, TicketStatus, TicketTrack, User
from storage.models_faq import FaqEntryRow, FaqFeedback

# the bot's acts (bot.apply_result: Message.meta["act"]) that settle a request without a ticket
BOT_ACTS = ("answer", "refuse")
TAPPED = "tapped"  # bot.faq_learning: the citizen picked one of the bot's suggestions
BOT_OFFICER = "Trợ lý ảo"

COLUMNS = (
    "Họ tên",
    "Điện thoại",
    "Thư điện tử",
    "Địa chỉ",
    "Kênh",
    "Thời điểm tiếp nhận",
    "Nội dung",
    "Mã phiếu",
    "Lĩnh vực",
    "Đơn vị xử lý",
    "Cán bộ xử lý",
    "Thời điểm chuyển đơn vị",
    "Hạn trả lời",
    "Số lần cập nhật tiến độ",
    "Cập nhật tiến độ gần nhất",
    "Nội dung trả lời",
    "Thời điểm trả lời",
    "Kết quả xử lý",
    "Tệp ghi âm",
    "Hội thoại",
)


@dataclass
class RequestRecord:
    """One request. Times are aware UTC datetimes (None: not happened)."""

    source: str  # "ticket" | "bot"
    received_at: datetime
    channel: str
    content: str
    result: str  # a key of handoff.labels.RESULT
    full_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    code: str = ""
    domain: str = ""
    agency: str = ""
    agency_id: int | None = None
    domain_id: int | None = None
    officer: str = ""
    forwarded_at: datetime | None = None
    answer_due_at: datetime | None = None  # 8 working hours from the forward (fixed)
    due_at: datetime | None = None  # the current deadline (a new appointment moves it)
    progress_count: int = 0
    progress_last: str = ""
    progress_last_at: datetime | None = None
    appointment_at: datetime | None = None
    answer: str = ""
    answered_at: datetime | None = None  # answered, or refused
    refusal_reason: str = ""
    phone_answered_at: datetime | None = None
    first_asked_at: datetime | None = None  # the citizen's first message in the conversation
    first_human_reply_at: datetime | None = None  # the first reply a person wrote there
    status: str = ""
    urgent: bool = False
    recordings: tuple[str, ...] = ()
    conversation_id: int | None = None


def local_time(value: datetime | None) -> str:
    v = as_utc(value)
    return v.astimezone(HOTLINE_TZ).strftime("%d/%m/%Y %H:%M") if v else ""


def record_cells(r: RequestRecord, base_url: str) -> list[str]:
    """The export's cells of one record, in :data:`COLUMNS` order (plain text, Việt Nam
    time); the caller neutralises formulas (``bot.console.exports.safe_cell``)."""
    base = base_url.rstrip("/")
    result = label("result", r.result)
    if r.refusal_reason:
        result += f": {r.refusal_reason}"
    progress = ""
    if r.progress_count:
        progress = f"{local_time(r.progress_last_at)}: {r.progress_last}"
        if r.appointment_at is not None:
            progress += f" (hẹn {local_time(r.appointment_at)})"
    return [
        r.full_name,
        r.phone,
        r.email,
        r.address,
        label("channel", r.channel),
        local_time(r.received_at),
        r.content,
        r.code,
        r.domain,
        r.agency,
        r.officer,
        local_time(r.forwarded_at),
        local_time(r.answer_due_at),
        str(r.progress_count),
        progress,
        r.answer,
        local_time(r.answered_at),
        result,
        "; ".join(f"{base}{path}" for path in r.recordings),
        f"{base}/console/#conversation={r.conversation_id}" if r.conversation_id else "",
    ]


def ticket_result(status: str, forwarded: bool) -> str:
    if status == TicketStatus.REFUSED:
        return "refused"
    if status == TicketStatus.ANSWERED:
        return "forwarded_answered" if forwarded else "operator_answered"
    if status == TicketStatus.CLOSED:
        return "closed"
    if status in (TicketStatus.NEW, TicketStatus.UNCLEAR):
        return "pending"
    return "at_agency"


async def load_records(
    s: AsyncSession,
    start: datetime | None,
    end: datetime | None,
    *,
    agency_id: int | None = None,
    domain_id: int | None = None,
) -> list[RequestRecord]:
    """The requests received in [start, end), oldest first. With an agency or a domain, only
    tickets of that agency or domain (the bot's own answers belong to none)."""
    records = await _ticket_records(s, start, end, agency_id, domain_id)
    if agency_id is None and domain_id is None:
        records += await _bot_records(s, start, end)
    records.sort(key=lambda r: r.received_at)
    return records


def _between(column: Any, start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if start is not None:
        out.append(column >= start)
    if end is not None:
        out.append(column < end)
    return out


async def _ticket_records(
    s: AsyncSession,
    start: datetime | None,
    end: datetime | None,
    agency_id: int | None,
    domain_id: int | None,
) -> list[RequestRecord]:
    q = (
        select(Ticket, TicketTrack, Agency, Domain, User, Contact)
        .join(TicketTrack, TicketTrack.ticket_id == Ticket.id)
        .outerjoin(Agency, Agency.id == TicketTrack.agency_id)
        .outerjoin(Domain, Domain.id == TicketTrack.domain_id)
        .outerjoin(User, User.id == TicketTrack.answered_by_id)
        .outerjoin(Contact, Contact.id == Ticket.contact_id)
        .where(*_between(Ticket.created_at, start, end))
        .order_by(Ticket.id)
    )
    if agency_id is not None:
        q = q.where(TicketTrack.agency_id == agency_id)
    if domain_id is not None:
        q = q.where(TicketTrack.domain_id == domain_id)
    rows = (await s.execute(q)).all()
    ids = [t.id for t, *_ in rows]
    if not ids:
        return []
    events: dict[int, list[TicketEvent]] = {}
    for ev in (
        await s.execute(select(TicketEvent).where(TicketEvent.ticket_id.in_(ids)).order_by(TicketEvent.id))
    ).scalars():
        events.setdefault(ev.ticket_id, []).append(ev)
    files: dict[int, list[str]] = {}
    for f in (
        await s.execute(select(TicketFile).where(TicketFile.ticket_id.in_(ids)).order_by(TicketFile.id))
    ).scalars():
        files.setdefault(f.ticket_id, []).append(f"/console/api/tickets/{f.ticket_id}/files/{f.id}")
    first_reply = await _first_human_replies(s, {t.conversation_id for t, *_ in rows if t.conversation_id})
    out = []
    for t, tr, agency, domain, officer, contact in rows:
        snap = t.contact_snapshot or {}
        evs = events.get(t.id, [])
        progress = [e for e in evs if e.action == "progress"]
        refused = next((e for e in reversed(evs) if e.action == "refused"), None)
        closed = next((e for e in reversed(evs) if e.action == "closed"), None)
        answered_at = as_utc(tr.answered_at)
        if answered_at is None and refused is not None:
            answered_at = as_utc(refused.at)
        if answered_at is None and closed is not None and t.status == TicketStatus.CLOSED:
            answered_at = as_utc(closed.at)
        out.append(
            RequestRecord(
                source="ticket",
                received_at=as_utc(t.created_at) or t.created_at,
                channel=t.channel,
                content=t.content,
                result=ticket_result(t.status, tr.forwarded_at is not None),
                full_name=snap.get("full_name") or tr.caller_name or (contact and contact.full_name) or "",
                phone=snap.get("phone") or tr.caller_phone or (contact and contact.phone) or "",
                email=snap.get("email") or (contact and contact.email) or "",
                address=snap.get("address") or (contact and contact.address) or "",
                code=t.code,
                domain=(domain.name if domain else t.domain) or "",
                agency=(agency.name if agency else t.agency) or "",
                agency_id=tr.agency_id,
                domain_id=tr.domain_id,
                officer=(officer.full_name or officer.username) if officer else "",
                forwarded_at=as_utc(tr.forwarded_at),
                answer_due_at=as_utc(tr.answer_due_at),
                due_at=as_utc(t.due_at),
                progress_count=len(progress),
                progress_last=(progress[-1].text or "") if progress else "",
                progress_last_at=as_utc(progress[-1].at) if progress else None,
                appointment_at=as_utc(tr.appointment_at),
                answer=tr.answer or tr.call_answer or "",
                answered_at=answered_at,
                refusal_reason=(tr.refusal_reason or "") if t.status == TicketStatus.REFUSED else "",
                phone_answered_at=as_utc(tr.phone_answered_at),
                first_asked_at=first_reply[t.conversation_id][0]
                if t.conversation_id in first_reply
                else None,
                first_human_reply_at=first_reply[t.conversation_id][1]
                if t.conversation_id in first_reply
                else None,
                status=t.status,
                urgent=bool(tr.urgent),
                recordings=tuple(files.get(t.id, ())),
                conversation_id=t.conversation_id,
            )
        )
    return out


async def _first_human_replies(
    s: AsyncSession, conversations: set[int]
) -> dict[int, tuple[datetime, datetime]]:
    """For each conversation: (the citizen's first message, the first reply a person wrote:
    an operator's or agency officer's message, not a workflow notice (meta ``step``))."""
    if not conversations:
        return {}
    q = (
        select(
            Message.conversation_id, Message.direction, Message.sender_role, Message.meta, Message.created_at
        )
        .where(Message.conversation_id.in_(conversations))
        .order_by(Message.id)
    )
    asked: dict[int, datetime] = {}
    out: dict[int, tuple[datetime, datetime]] = {}
    people = (SenderRole.OPERATOR.value, SenderRole.AGENCY.value)
    for conv, direction, role, meta, at in (await s.execute(q)).all():
        when = as_utc(at)
        if when is None or conv in out:
            continue
        if direction == "in":
            asked.setdefault(conv, when)
        elif direction == "out" and role in people and not (meta or {}).get("step") and conv in asked:
            out[conv] = (asked[conv], when)
    return out


async def _bot_records(s: AsyncSession, start: datetime | None, end: datetime | None) -> list[RequestRecord]:
    """The bot's answers from the FAQ and its refusals (Message.meta ``act``), each with the
    citizen's message it answered: a tapped suggestion's request is the question the
    suggestions were made for (faq_feedback ``tapped``)."""
    bot_msgs = [
        m
        for m in (
            await s.execute(
                select(Message)
                .where(Message.sender_role == SenderRole.BOT.value, *_between(Message.created_at, start, end))
                .order_by(Message.id)
            )
        ).scalars()
        if (m.meta or {}).get("act") in BOT_ACTS
    ]
    if not bot_msgs:
        return []
    ids = [m.id for m in bot_msgs]
    tapped = {
        f.message_id: f.message_text
        for f in (
            await s.execute(
                select(FaqFeedback).where(FaqFeedback.message_id.in_(ids), FaqFeedback.outcome == TAPPED)
            )
        ).scalars()
    }
    faq_ids = {str((m.meta or {}).get("faq_id")) for m in bot_msgs if (m.meta or {}).get("faq_id")}
    entries: dict[str, FaqEntryRow] = {}
    if faq_ids:
        for e in (
            await s.execute(
                select(FaqEntryRow).where(FaqEntryRow.faq_id.in_(faq_ids)).order_by(FaqEntryRow.id)
            )
        ).scalars():
            entries[e.faq_id] = e  # the newest version's entry
    convs = {m.conversation_id for m in bot_msgs}
    inbound: dict[int, list[Message]] = {}
    for m in (
        await s.execute(
            select(Message)
            .where(Message.conversation_id.in_(convs), Message.direction == "in")
            .order_by(Message.conversation_id, Message.seq)
        )
    ).scalars():
        inbound.setdefault(m.conversation_id, []).append(m)
    contacts = await _contacts_of(s, convs)
    out = []
    for m in bot_msgs:
        meta = m.meta or {}
        before = [i for i in inbound.get(m.conversation_id, []) if i.seq < m.seq]
        asked = before[-1] if before else None
        content = asked.text if asked else ""
        result = "bot_refused" if meta.get("act") == "refuse" else "bot_answer"
        if m.id in tapped:
            result, content = "bot_suggestion", tapped[m.id]
            asked = next((i for i in reversed(before) if i.text == content), asked)
        entry = entries.get(str(meta.get("faq_id") or ""))
        contact = contacts.get(m.conversation_id)
        answered = as_utc(m.created_at) or m.created_at
        out.append(
            RequestRecord(
                source="bot",
                received_at=as_utc(asked.created_at) or answered if asked else answered,
                channel=m.channel,
                content=content,
                result=result,
                full_name=(contact.full_name or contact.display_name or "") if contact else "",
                phone=(contact.phone or "") if contact else "",
                email=(contact.email or "") if contact else "",
                address=(contact.address or "") if contact else "",
                domain=entry.domain if entry else "",
                agency=entry.agency if entry else "",
                officer=BOT_OFFICER,
                answer=m.text,
                answered_at=answered,
                conversation_id=m.conversation_id,
            )
        )
    return out


async def _contacts_of(s: AsyncSession, conv_ids: set[int]) -> dict[int, Contact]:
    q = (
        select(Conversation.id, Contact)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.id.in_(conv_ids))
    )
    return {cid: contact for cid, contact in (await s.execute(q)).all()}
