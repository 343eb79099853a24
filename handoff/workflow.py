"""The ticket workflow of the regulation, as transitions over stored data.

    new ──refuse──▶ refused                                   (Điều 3.6, 9.2)
    new ──forward──▶ forwarded ──progress──▶ in_progress      (Điều 10.1, 10.3)
    new ──unclear──▶ unclear ──assign (supervisor)──▶ forwarded  (Điều 10.4)
    forwarded|in_progress ──send_back──▶ unclear
    forwarded|in_progress ──phone_answered──▶ phone_answered (write-up due in 4 wh)
    forwarded|in_progress|phone_answered ──answer──▶ answered

Every function runs inside the caller's transaction, checks the actor's right, writes
the status history and queues the citizen's message; it returns an :class:`Outcome` the
caller publishes after commit. Deadlines are stored instants computed from timestamps
and the working-time calendar; :func:`check_deadlines` is a periodic scan, never a timer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import SenderRole
from handoff.calendar import WorkingCalendar
from handoff.deadlines import ANSWER_WITHIN, DeadlineState, answer_due, deadline_state, phone_writeup_due
from handoff.notify import Step, format_time, tell_citizen
from handoff.tickets import create_ticket
from storage.clock import as_utc
from storage.models import Conversation, Message, Ticket
from storage.models_console import (
    OPEN_AT_AGENCY,
    Agency,
    Domain,
    Notification,
    Role,
    TicketEvent,
    TicketStatus,
    TicketTrack,
)

STAFF = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
OVERSIGHT = (Role.SUPERVISOR, Role.ADMIN)


class WorkflowError(Exception):
    """A transition that is not allowed now (HTTP 409) or bad input (HTTP 400)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


class PermissionDenied(WorkflowError):
    """The actor may not see or act on this ticket (HTTP 403)."""

    def __init__(self, message: str = "Bạn không có quyền với phiếu này") -> None:
        super().__init__(message, 403)


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    role: Role
    agency_id: int | None = None
    username: str = ""


SYSTEM_ACTOR = Actor(user_id=None, role=Role.ADMIN, username="system")


@dataclass
class Outcome:
    ticket: Ticket
    track: TicketTrack
    messages: list[Message] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


# ---------------------------------------------------------------------------- access


# at the agency, still to be answered: where progress, more-info and send-back apply
AWAITING_AGENCY = (TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS)


def can_view(actor: Actor, track: TicketTrack) -> bool:
    """Agency officers see only their agency's tickets; staff see all."""
    if actor.role == Role.AGENCY:
        return actor.agency_id is not None and track.agency_id == actor.agency_id
    return True


def _require(actor: Actor, roles: tuple[Role, ...]) -> None:
    if actor.role not in roles:
        raise PermissionDenied("Vai trò của bạn không được thực hiện thao tác này")


def _require_agency_officer(actor: Actor, track: TicketTrack) -> None:
    """Answer/progress/send back: the ticket's agency officer (or oversight)."""
    if actor.role in OVERSIGHT:
        return
    if actor.role != Role.AGENCY or track.agency_id is None or track.agency_id != actor.agency_id:
        raise PermissionDenied("Chỉ cán bộ đầu mối của đơn vị được giao mới xử lý phiếu này")


async def _load_for_officer(
    session: AsyncSession, ticket_id: int, actor: Actor
) -> tuple[Ticket, TicketTrack]:
    """A ticket an agency officer acts on: loaded (and locked) and checked to be theirs."""
    ticket, track = await load(session, ticket_id, actor)
    _require_agency_officer(actor, track)
    return ticket, track


async def load(
    session: AsyncSession, ticket_id: int, actor: Actor, *, lock: bool = True
) -> tuple[Ticket, TicketTrack]:
    ticket = await session.get(Ticket, ticket_id, with_for_update=lock)
    track = await session.get(TicketTrack, ticket_id)
    if ticket is None or track is None:
        raise WorkflowError("Không tìm thấy phiếu", 404)
    if not can_view(actor, track):
        raise PermissionDenied()
    return ticket, track


def utc(value: datetime) -> datetime:
    """Stored instants are UTC (SQLite keeps no offset)."""
    if value.tzinfo is None:
        raise WorkflowError("Thời điểm phải có múi giờ", 400)
    return value.astimezone(UTC)


def _text(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise WorkflowError(f"Cần nhập {what}", 400)
    return value


def _move(
    session: AsyncSession,
    ticket: Ticket,
    actor: Actor,
    now: datetime,
    action: str,
    to: TicketStatus,
    *,
    text: str | None = None,
    agency_id: int | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            user_id=actor.user_id,
            action=action,
            from_status=ticket.status,
            to_status=to.value,
            agency_id=agency_id,
            text=text,
            due_at=ticket.due_at,
        )
    )
    ticket.status = to.value
    ticket.updated_at = now


def _status_in(ticket: Ticket, allowed: tuple[TicketStatus, ...], what: str) -> None:
    if ticket.status not in {s.value for s in allowed}:
        raise WorkflowError(
            f"Không thể {what} phiếu đang ở trạng thái {STATUS_LABELS.get(ticket.status, ticket.status)}"
        )


def _notice(
    session: AsyncSession,
    out: Outcome,
    role: Role,
    kind: str,
    text: str,
    now: datetime,
    agency_id: int | None = None,
) -> None:
    n = Notification(
        role=role.value,
        agency_id=agency_id,
        ticket_id=out.ticket.id,
        kind=kind,
        text=text,
        read=False,
        created_at=now,
    )
    session.add(n)
    out.notifications.append(n)


def _said(out: Outcome, msg: Message | None) -> None:
    if msg is not None:
        out.messages.append(msg)


# ---------------------------------------------------------------------------- transitions


async def open_ticket(
    session: AsyncSession,
    conversation: Conversation | None,
    actor: Actor,
    now: datetime,
    *,
    content: str,
    kind: str = "request",
    domain_id: int | None = None,
    prefix: str | None = None,
    tell: bool = True,
    full_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    address: str | None = None,
) -> Outcome:
    """Record a request and tell the citizen its code (Điều 9.1)."""
    now = utc(now)
    _require(actor, STAFF)
    domain = await session.get(Domain, domain_id) if domain_id else None
    if domain_id and domain is None:
        raise WorkflowError("Lĩnh vực không tồn tại", 400)
    ticket = await create_ticket(
        session,
        conversation,
        content=content,
        now=now,
        kind=kind,
        domain=domain,
        user_id=actor.user_id,
        prefix=prefix,
        full_name=full_name,
        phone=phone,
        email=email,
        address=address,
    )
    track = await session.get(TicketTrack, ticket.id)
    assert track is not None
    out = Outcome(ticket, track)
    if tell:
        _said(out, await tell_citizen(session, ticket, Step.RECEIVED, now, user_id=actor.user_id))
    return out


async def refuse(session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, reason: str) -> Outcome:
    """Out of scope or unlawful: refused, and the citizen told why at once (Điều 3.6, 9.2)."""
    now = utc(now)
    _require(actor, STAFF)
    ticket, track = await load(session, ticket_id, actor)
    reason = _text(reason, "lý do từ chối")
    _status_in(ticket, (TicketStatus.NEW, TicketStatus.UNCLEAR), "từ chối")
    _move(session, ticket, actor, now, "refused", TicketStatus.REFUSED, text=reason)
    track.refusal_reason = reason
    ticket.due_at = None
    out = Outcome(ticket, track)
    _said(out, await tell_citizen(session, ticket, Step.REFUSED, now, text=reason, user_id=actor.user_id))
    return out


async def _forward(
    session: AsyncSession,
    ticket: Ticket,
    track: TicketTrack,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    agency_id: int,
    note: str | None,
    action: str,
    call_transferred: bool = False,
) -> Outcome:
    now = utc(now)
    agency = await session.get(Agency, agency_id)
    if agency is None or not agency.active:
        raise WorkflowError("Đơn vị không tồn tại hoặc đã ngừng hoạt động", 400)
    if call_transferred:  # answered live on the agency's line: 4 working hours to write it up
        due = phone_writeup_due(now, calendar).astimezone(UTC)
    else:
        due = answer_due(now, calendar).astimezone(UTC)
    ticket.agency = agency.name
    ticket.due_at = due
    track.agency_id = agency.id
    track.forwarded_at = now
    track.forward_note = (note or "").strip() or None
    track.answer_due_at = due
    track.appointment_at = None
    track.last_progress_at = None
    track.overdue_notified_for = None
    track.breach_at = None
    track.phone_answered_at = now if call_transferred else None
    _move(
        session,
        ticket,
        actor,
        now,
        "call_transferred" if call_transferred else action,
        TicketStatus.PHONE_ANSWERED if call_transferred else TicketStatus.FORWARDED,
        text=track.forward_note,
        agency_id=agency.id,
    )
    out = Outcome(ticket, track)
    what = (
        "cuộc gọi được chuyển máy tới đơn vị, hạn cập nhật trả lời"
        if call_transferred
        else ("được chuyển tới đơn vị, hạn trả lời")
    )
    _notice(
        session,
        out,
        Role.AGENCY,
        "forwarded",
        f"Phiếu {ticket.code}: {what} {format_time(due)}",
        now,
        agency.id,
    )
    _said(out, await tell_citizen(session, ticket, Step.FORWARDED, now, due=due, user_id=actor.user_id))
    return out


async def forward(
    session: AsyncSession,
    ticket_id: int,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    agency_id: int,
    note: str | None = None,
    *,
    call_transferred: bool = False,
) -> Outcome:
    """Phiếu chuyển to the responsible agency (Điều 10.1): 8 working hours to answer.
    ``call_transferred``: a call put through to the agency's hotline and answered there —
    the answer must be written into the software within 4 working hours (Điều 10.3)."""
    now = utc(now)
    _require(actor, STAFF)
    ticket, track = await load(session, ticket_id, actor)
    allowed = (TicketStatus.NEW, TicketStatus.UNCLEAR) if actor.role in OVERSIGHT else (TicketStatus.NEW,)
    _status_in(ticket, allowed, "chuyển")
    if call_transferred and ticket.kind != "call":
        raise WorkflowError("Chỉ phiếu cuộc gọi mới chuyển máy tới đơn vị được", 400)
    return await _forward(
        session, ticket, track, actor, now, calendar, agency_id, note, "forwarded", call_transferred
    )


async def mark_unclear(
    session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, note: str | None = None
) -> Outcome:
    """Authority unclear: to the supervisor's queue (Điều 10.4)."""
    now = utc(now)
    _require(actor, STAFF)
    ticket, track = await load(session, ticket_id, actor)
    _status_in(ticket, (TicketStatus.NEW,), "chuyển Sở TT&TT")
    _move(session, ticket, actor, now, "unclear", TicketStatus.UNCLEAR, text=(note or "").strip() or None)
    out = Outcome(ticket, track)
    _notice(
        session,
        out,
        Role.SUPERVISOR,
        "unclear",
        f"Phiếu {ticket.code} cần xác định cơ quan có thẩm quyền",
        now,
    )
    _said(out, await tell_citizen(session, ticket, Step.UNCLEAR, now, user_id=actor.user_id))
    return out


async def assign(
    session: AsyncSession,
    ticket_id: int,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    agency_id: int,
    note: str | None = None,
) -> Outcome:
    """The supervisor names the owner of an unclear ticket; it is forwarded at once (Điều 10.4)."""
    now = utc(now)
    _require(actor, OVERSIGHT)
    ticket, track = await load(session, ticket_id, actor)
    _status_in(ticket, (TicketStatus.UNCLEAR,), "giao đơn vị cho")
    return await _forward(session, ticket, track, actor, now, calendar, agency_id, note, "assigned")


async def progress(
    session: AsyncSession,
    ticket_id: int,
    actor: Actor,
    now: datetime,
    text: str,
    appointment_at: datetime,
) -> Outcome:
    """A progress update with a new appointment time (Điều 10.3); the citizen receives it."""
    now = utc(now)
    ticket, track = await _load_for_officer(session, ticket_id, actor)
    text = _text(text, "nội dung tiến độ")
    appointment_at = utc(appointment_at)
    if appointment_at <= now:
        raise WorkflowError("Thời gian hẹn mới phải sau thời điểm hiện tại", 400)
    _status_in(ticket, AWAITING_AGENCY, "cập nhật tiến độ")
    ticket.due_at = appointment_at
    track.appointment_at = appointment_at
    track.last_progress_at = now
    _move(
        session,
        ticket,
        actor,
        now,
        "progress",
        TicketStatus.IN_PROGRESS,
        text=text,
        agency_id=track.agency_id,
    )
    out = Outcome(ticket, track)
    _said(
        out,
        await tell_citizen(
            session,
            ticket,
            Step.PROGRESS,
            now,
            text=text,
            due=appointment_at,
            user_id=actor.user_id,
            role=SenderRole.AGENCY,
        ),
    )
    return out


async def phone_answered(
    session: AsyncSession,
    ticket_id: int,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    summary: str | None = None,
) -> Outcome:
    """The officer answered by phone: the write-up is due within 4 working hours (Điều 10.3)."""
    now = utc(now)
    ticket, track = await _load_for_officer(session, ticket_id, actor)
    _status_in(ticket, AWAITING_AGENCY, "ghi nhận trả lời qua điện thoại cho")
    due = phone_writeup_due(now, calendar).astimezone(UTC)
    ticket.due_at = due
    track.phone_answered_at = now
    track.overdue_notified_for = None
    _move(
        session,
        ticket,
        actor,
        now,
        "phone_answered",
        TicketStatus.PHONE_ANSWERED,
        text=(summary or "").strip() or None,
        agency_id=track.agency_id,
    )
    return Outcome(ticket, track)


async def answer(session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, text: str) -> Outcome:
    """The answer, sent to the citizen and kept for publication (Điều 10.3, 12)."""
    now = utc(now)
    ticket, track = await load(session, ticket_id, actor)
    text = _text(text, "nội dung trả lời")
    if ticket.status == TicketStatus.NEW and actor.role in STAFF:
        pass  # the operator answers from the FAQ database (Điều 10.1)
    else:
        _require_agency_officer(actor, track)
        _status_in(ticket, OPEN_AT_AGENCY, "trả lời")
    track.answer = text
    track.answered_at = now
    track.answered_by_id = actor.user_id
    ticket.due_at = None
    _move(
        session, ticket, actor, now, "answered", TicketStatus.ANSWERED, text=text, agency_id=track.agency_id
    )
    out = Outcome(ticket, track)
    role = SenderRole.AGENCY if actor.role == Role.AGENCY else SenderRole.OPERATOR
    _said(
        out,
        await tell_citizen(session, ticket, Step.ANSWERED, now, text=text, user_id=actor.user_id, role=role),
    )
    return out


async def ask_more_info(
    session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, text: str
) -> Outcome:
    """Guide the citizen to complete missing information (Điều 14.6); the deadline stands."""
    now = utc(now)
    ticket, track = await _load_for_officer(session, ticket_id, actor)
    text = _text(text, "thông tin cần bổ sung")
    _status_in(ticket, AWAITING_AGENCY, "đề nghị bổ sung thông tin cho")
    if ticket.conversation_id is None:
        raise WorkflowError("Phiếu cuộc gọi: hãy gọi lại cho người dân để đề nghị bổ sung", 409)
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            user_id=actor.user_id,
            action="more_info",
            from_status=ticket.status,
            to_status=ticket.status,
            agency_id=track.agency_id,
            text=text,
            due_at=ticket.due_at,
        )
    )
    ticket.updated_at = now
    out = Outcome(ticket, track)
    _said(
        out,
        await tell_citizen(
            session, ticket, Step.MORE_INFO, now, text=text, user_id=actor.user_id, role=SenderRole.AGENCY
        ),
    )
    return out


async def send_back(
    session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, reason: str
) -> Outcome:
    """Not this agency's: back to the supervisor's queue with the reason (Điều 10.4)."""
    now = utc(now)
    ticket, track = await _load_for_officer(session, ticket_id, actor)
    reason = _text(reason, "lý do trả lại")
    _status_in(ticket, AWAITING_AGENCY, "trả lại")
    old_agency = track.agency_id
    _move(session, ticket, actor, now, "sent_back", TicketStatus.UNCLEAR, text=reason, agency_id=old_agency)
    track.agency_id = None
    ticket.agency = None
    ticket.due_at = None
    out = Outcome(ticket, track)
    _notice(
        session, out, Role.SUPERVISOR, "sent_back", f"Phiếu {ticket.code} bị đơn vị trả lại: {reason}", now
    )
    return out


async def close(
    session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, note: str | None = None
) -> Outcome:
    now = utc(now)
    _require(actor, STAFF)
    ticket, track = await load(session, ticket_id, actor)
    _status_in(ticket, (TicketStatus.ANSWERED, TicketStatus.REFUSED, TicketStatus.NEW), "đóng")
    ticket.due_at = None
    _move(session, ticket, actor, now, "closed", TicketStatus.CLOSED, text=(note or "").strip() or None)
    return Outcome(ticket, track)


# ---------------------------------------------------------------------------- deadlines


def deadline_flag(ticket: Ticket, now: datetime, calendar: WorkingCalendar) -> str | None:
    """``approaching`` / ``overdue`` / ``on_time`` for an open ticket with a deadline."""
    due = as_utc(ticket.due_at)
    if due is None or ticket.status not in {s.value for s in OPEN_AT_AGENCY}:
        return None
    return deadline_state(now, due, calendar).value


def is_breach(track: TicketTrack, now: datetime) -> bool:
    """Điều 10.3: 8 working hours passed since the forward without answer or progress update."""
    due = as_utc(track.answer_due_at)
    if due is None or track.answered_at is not None or track.phone_answered_at is not None:
        return False
    progressed = as_utc(track.last_progress_at)
    return now > due and (progressed is None or progressed > due)


async def check_deadlines(
    session: AsyncSession, now: datetime, calendar: WorkingCalendar
) -> list[Notification]:
    """One scan over stored tickets (run periodically; idempotent): tell the supervisor
    about overdue tickets once per deadline, and flag Điều 10.3 breaches."""
    now = utc(now)
    rows = await session.execute(
        select(Ticket, TicketTrack)
        .join(TicketTrack, TicketTrack.ticket_id == Ticket.id)
        .where(Ticket.status.in_([s.value for s in OPEN_AT_AGENCY]), Ticket.due_at.is_not(None))
        .with_for_update()
    )
    notes: list[Notification] = []
    for ticket, track in rows.all():
        out = Outcome(ticket, track)
        due = as_utc(ticket.due_at)
        assert due is not None
        if now > due and as_utc(track.overdue_notified_for) != due:
            track.overdue_notified_for = due
            _notice(
                session,
                out,
                Role.SUPERVISOR,
                "overdue",
                f"Phiếu {ticket.code} ({ticket.agency}) quá hạn từ {format_time(due)}",
                now,
            )
            _notice(
                session,
                out,
                Role.AGENCY,
                "overdue",
                f"Phiếu {ticket.code} đã quá hạn ({format_time(due)})",
                now,
                track.agency_id,
            )
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=now,
                    user_id=None,
                    action="overdue",
                    from_status=ticket.status,
                    to_status=ticket.status,
                    agency_id=track.agency_id,
                    due_at=due,
                )
            )
        if track.breach_at is None and is_breach(track, now):
            track.breach_at = as_utc(track.answer_due_at)
            _notice(
                session,
                out,
                Role.SUPERVISOR,
                "breach",
                f"Phiếu {ticket.code}: quá {int(ANSWER_WITHIN.total_seconds() // 3600)} giờ làm việc "
                "chưa trả lời, chưa cập nhật tiến độ (vi phạm Điều 10.3)",
                now,
            )
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=now,
                    user_id=None,
                    action="breach",
                    from_status=ticket.status,
                    to_status=ticket.status,
                    agency_id=track.agency_id,
                    due_at=track.answer_due_at,
                )
            )
        notes.extend(out.notifications)
    return notes


def remaining_working_time(ticket: Ticket, now: datetime, calendar: WorkingCalendar) -> timedelta | None:
    from handoff.deadlines import working_time_between

    due = as_utc(ticket.due_at)
    return None if due is None else working_time_between(now, due, calendar)


STATUS_LABELS: dict[str, str] = {
    TicketStatus.NEW: "mới tiếp nhận",
    TicketStatus.REFUSED: "từ chối",
    TicketStatus.UNCLEAR: "chờ Sở TT&TT xác định thẩm quyền",
    TicketStatus.FORWARDED: "đã chuyển đơn vị",
    TicketStatus.IN_PROGRESS: "đang xử lý (đã hẹn lại)",
    TicketStatus.PHONE_ANSWERED: "đã trả lời qua điện thoại, chờ cập nhật",
    TicketStatus.ANSWERED: "đã trả lời",
    TicketStatus.CLOSED: "đã đóng",
}

__all__ = [
    "Actor",
    "DeadlineState",
    "Outcome",
    "PermissionDenied",
    "WorkflowError",
    "answer",
    "ask_more_info",
    "assign",
    "can_view",
    "check_deadlines",
    "close",
    "forward",
    "mark_unclear",
    "open_ticket",
    "phone_answered",
    "progress",
    "refuse",
    "send_back",
]
