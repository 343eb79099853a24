"""The agency officer's state changes of a ticket at the agency (Điều 10.3, 10.4, 14.6):
a progress update, a phone answer, a request for more information and a send-back. Part of
the one owner of a ticket's status with :mod:`handoff.transitions` (the answer, shared with
the operator, is there); the state diagram is in :mod:`handoff.workflow`.

Every function runs inside the caller's transaction, checks that the actor is an officer of
the ticket's agency, writes the status history and queues the citizen's message; it returns
an :class:`Outcome` the caller publishes after commit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import SenderRole
from handoff.calendar import WorkingCalendar
from handoff.deadlines import phone_writeup_due
from handoff.loaders import load_for_officer
from handoff.notify import Step, tell_citizen
from handoff.webhook_events import record_ticket_event
from handoff.workflow_base import (
    Actor,
    Outcome,
    WorkflowError,
    add_notice,
    move,
    required_text,
    said,
    status_in,
    utc,
)
from storage.models_console import Role, TicketEvent, TicketStatus

# at the agency, still to be answered: where progress, more-info and send-back apply
AWAITING_AGENCY = (TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS)


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
    ticket, track = await load_for_officer(session, ticket_id, actor)
    text = required_text(text, "nội dung tiến độ")
    appointment_at = utc(appointment_at)
    if appointment_at <= now:
        raise WorkflowError("Thời gian hẹn mới phải sau thời điểm hiện tại", 400)
    status_in(ticket, AWAITING_AGENCY, "cập nhật tiến độ")
    ticket.due_at = appointment_at
    track.appointment_at = appointment_at
    track.last_progress_at = now
    move(
        session,
        ticket,
        actor,
        now,
        "progress",
        TicketStatus.IN_PROGRESS,
        text=text,
        agency_id=track.agency_id,
    )
    await record_ticket_event(session, ticket, "ticket.progress", now, text=text)
    out = Outcome(ticket, track)
    said(
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
    ticket, track = await load_for_officer(session, ticket_id, actor)
    status_in(ticket, AWAITING_AGENCY, "ghi nhận trả lời qua điện thoại cho")
    due = phone_writeup_due(now, calendar).astimezone(UTC)
    ticket.due_at = due
    track.phone_answered_at = now
    track.overdue_notified_for = None
    move(
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


async def ask_more_info(
    session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, text: str
) -> Outcome:
    """Guide the citizen to complete missing information (Điều 14.6); the deadline stands."""
    now = utc(now)
    ticket, track = await load_for_officer(session, ticket_id, actor)
    text = required_text(text, "thông tin cần bổ sung")
    status_in(ticket, AWAITING_AGENCY, "đề nghị bổ sung thông tin cho")
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
    said(
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
    ticket, track = await load_for_officer(session, ticket_id, actor)
    reason = required_text(reason, "lý do trả lại")
    status_in(ticket, AWAITING_AGENCY, "trả lại")
    old_agency = track.agency_id
    move(session, ticket, actor, now, "sent_back", TicketStatus.UNCLEAR, text=reason, agency_id=old_agency)
    track.agency_id = None
    ticket.agency = None
    ticket.due_at = None
    out = Outcome(ticket, track)
    add_notice(
        session, out, Role.SUPERVISOR, "sent_back", f"Phiếu {ticket.code} bị đơn vị trả lại: {reason}", now
    )
    return out
